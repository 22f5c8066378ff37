// Node.js bullmq@6 counterpart of crates/core/benches/worker_throughput.rs: 20,000
// pre-filled jobs (the validate-data payload every side takes, ../job-data.json) through
// one Worker with a no-op processor at concurrency 1, 10 and 50 (median of 3),
// timed from the jobs' own timestamps (bench/span.lua: first processedOn to last
// finishedOn), client CPU seconds per 10,000 jobs, and add->start latency with an idle
// worker.
//   node worker.mjs REDIS_URL
import { Queue, Worker } from "bullmq";
import IORedis from "ioredis";
import { readFileSync } from "node:fs";

const SPAN = readFileSync(new URL("../span.lua", import.meta.url), "utf8");
const DATA = JSON.parse(readFileSync(new URL("../job-data.json", import.meta.url), "utf8"));

const url = process.argv[2];
const JOBS = 20000;
// bench/worker_throughput.sh alternates single runs of both sides (BENCH_RUNS=1) so both
// see the same machine noise; run alone, it takes the median of 3.
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const LATENCY = process.env.BENCH_LATENCY !== '0';
const connection = () => new IORedis(url, { maxRetriesPerRequest: null });
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const admin = connection();

async function throughput(concurrency) {
  await admin.flushdb();
  const queue = new Queue("scraping-queue", { connection: connection() });
  for (let i = 0; i < JOBS; i += 1000) {
    await queue.addBulk(
      Array.from({ length: 1000 }, () => ({ name: "noop", data: DATA, opts: { removeOnComplete: false } })),
    );
  }
  let done = 0;
  let finish;
  const all = new Promise((resolve) => (finish = resolve));
  const cpu = process.cpuUsage();
  const worker = new Worker(
    "scraping-queue",
    async () => {
      if (++done === JOBS) finish();
      return null;
    },
    { connection: connection(), concurrency },
  );
  await all;
  await worker.close();
  const used = process.cpuUsage(cpu);
  const [first, last, read] = await admin.eval(SPAN, 1, "bull:scraping-queue:completed", "bull:scraping-queue:");
  if (read !== JOBS) throw new Error(`${read} of ${JOBS} jobs completed`);
  await queue.close();
  return [JOBS / (Math.max(1, last - first) / 1000), ((used.user + used.system) / 1e6) * (10000 / JOBS)];
}

async function latency() {
  await admin.flushdb();
  const queue = new Queue("scraping-queue", { connection: connection() });
  let started;
  let next = () => {};
  const worker = new Worker(
    "scraping-queue",
    async () => {
      started = performance.now();
      next();
      return null;
    },
    { connection: connection(), concurrency: 1 },
  );
  await worker.waitUntilReady();
  const samples = [];
  for (let i = 0; i < 200; i++) {
    const begun = new Promise((resolve) => (next = resolve));
    const sent = performance.now();
    await queue.add("noop", { n: i }, { removeOnComplete: true });
    await begun;
    samples.push(started - sent);
  }
  await worker.close();
  await queue.close();
  samples.sort((a, b) => a - b);
  return [samples[100], samples[198]];
}

for (const concurrency of RUNS > 0 ? [1, 10, 50] : []) {
  const runs = [];
  for (let r = 0; r < RUNS; r++) runs.push(await throughput(concurrency));
  const rate = median(runs.map((x) => x[0]));
  const cpu = median(runs.map((x) => x[1]));
  console.log(`node concurrency ${concurrency}: ${rate.toFixed(0)} jobs/s, ${cpu.toFixed(2)} CPU s per 10k jobs`);
}
if (LATENCY) {
  const [p50, p99] = await latency();
  console.log(`node add->start latency: p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms`);
}
await admin.flushdb();
admin.disconnect();
process.exit(0);
