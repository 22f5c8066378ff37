// Antrian's pool as users run it: `antrian workers --types data-processing` (the whole
// process: its event readers, health checks, heartbeats and the real validate-data
// handler) on 20,000 pre-filled one-item validate-data jobs, at concurrency 1, 10 and 50.
// Timed like the other sides from the jobs' own timestamps (../span.lua); client CPU is
// the process's, counted from its first finished job to its last (start-up excluded).
//   node process_worker.mjs REDIS_URL ANTRIAN_BINARY
import { spawn } from "node:child_process";
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue } from "bullmq";
import IORedis from "ioredis";

const [url, binary] = process.argv.slice(2);
const JOBS = 20000;
const QUEUE = "data-processing-queue";
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const LEVELS = (process.env.BENCH_CONCURRENCY ?? "1,10,50").split(",").map(Number);
const SPAN = readFileSync(new URL("../span.lua", import.meta.url), "utf8");
const admin = new IORedis(url, { maxRetriesPerRequest: null });
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const TICK = 100; // USER_HZ: /proc counts CPU time in 1/100 s on Linux

/** User + system CPU seconds of a process, from /proc. */
function cpuOf(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICK;
}

// Every side of the throughput bench takes this payload (../job-data.json).
const data = JSON.parse(readFileSync(new URL("../job-data.json", import.meta.url), "utf8"));

async function run(concurrency) {
  await admin.flushdb();
  const filler = new IORedis(url, { maxRetriesPerRequest: null });
  const queue = new Queue(QUEUE, { connection: filler });
  for (let i = 0; i < JOBS; i += 1000) {
    await queue.addBulk(
      Array.from({ length: 1000 }, () => ({ name: "validate-data", data, opts: { removeOnComplete: false } })),
    );
  }
  await queue.close();
  await filler.quit(); // a connection passed to a Queue is the caller's to close
  const dataDir = mkdtempSync(join(tmpdir(), "antrian-bench-"));
  const child = spawn(binary, ["workers", "--types", "data-processing"], {
    env: {
      ...process.env,
      REDIS_URL: url,
      ANTRIAN_DATA_DIR: dataDir,
      DATA_PROCESSING_WORKERS: "1",
      DATA_PROCESSING_CONCURRENCY: String(concurrency),
      QUEUE_AUTO_SCALING: "false",
      ANTRIAN_LOG: "warn",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  // The harness polls Redis for the count (the process offers no event to wait on); the
  // figures come from the jobs' timestamps, not from these polls.
  const completed = () => admin.zcard(`bull:${QUEUE}:completed`);
  let cpuAtFirst = null;
  let doneAtFirst = 0;
  for (;;) {
    const n = await completed();
    if (cpuAtFirst === null && n > 0) {
      cpuAtFirst = cpuOf(child.pid);
      doneAtFirst = n;
    }
    if (n >= JOBS) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const cpu = cpuOf(child.pid) - cpuAtFirst;
  const exited = child.exitCode !== null ? Promise.resolve() : new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
  rmSync(dataDir, { recursive: true, force: true });
  const [first, last, read] = await admin.eval(SPAN, 1, `bull:${QUEUE}:completed`, `bull:${QUEUE}:`);
  if (read !== JOBS) throw new Error(`${read} of ${JOBS} jobs completed`);
  return [JOBS / (Math.max(1, last - first) / 1000), (cpu / (JOBS - doneAtFirst)) * 10000];
}

for (const concurrency of LEVELS) {
  const runs = [];
  for (let r = 0; r < RUNS; r++) runs.push(await run(concurrency));
  const rate = median(runs.map((x) => x[0]));
  const cpu = median(runs.map((x) => x[1]));
  console.log(`process concurrency ${concurrency}: ${rate.toFixed(0)} jobs/s, ${cpu.toFixed(2)} CPU s per 10k jobs`);
}
await admin.quit();
