// A Node.js BullMQ 6 worker for Antrian's interop tests.
//   node worker.mjs REDIS_URL QUEUE
//   node worker.mjs cluster:HOST:PORT,HOST:PORT QUEUE   (a Redis Cluster, through ioredis)
// BULL_PREFIX sets the key prefix (`bull` by default; `{bull}` on a cluster).
// Prints one JSON line per event on stdout: ready, processing, completed, failed.
// A job whose data has `failTimes: N` fails its first N attempts; `sleepMs: N` takes N ms. Custom backoff strategies
// written by Antrian (antrian-exponential:DELAY:FACTOR:MAX, antrian-linear:DELAY:INCREMENT)
// are applied as README.md describes.
import { Worker } from "bullmq";
import IORedis from "ioredis";

const [url, queue] = process.argv.slice(2);
const print = (event) => process.stdout.write(`${JSON.stringify({ ...event, at: Date.now() })}\n`);

function backoffStrategy(attemptsMade, type) {
  const [kind, ...args] = type.split(":");
  const n = Math.max(attemptsMade, 1);
  if (kind === "antrian-exponential") {
    const [delay, factor, max] = args.map(Number);
    const ms = Math.round(delay * factor ** (n - 1));
    return max > 0 ? Math.min(ms, max) : ms;
  }
  if (kind === "antrian-linear") {
    const [delay, increment] = args.map(Number);
    return delay + increment * (n - 1);
  }
  throw new Error(`unknown backoff strategy ${type}`);
}

const worker = new Worker(
  queue,
  async (job) => {
    print({ event: "processing", id: job.id, name: job.name, data: job.data, attemptsMade: job.attemptsMade });
    if (job.data.sleepMs) {
      await new Promise((resolve) => setTimeout(resolve, job.data.sleepMs));
    }
    if ((job.data.failTimes ?? 0) > job.attemptsMade) {
      throw new Error(`planned failure ${job.attemptsMade + 1}`);
    }
    return { processedBy: "node", name: job.name, echo: job.data };
  },
  {
    connection: url.startsWith("cluster:")
      ? new IORedis.Cluster(
          url
            .slice("cluster:".length)
            .split(",")
            .map((node) => ({ host: node.split(":")[0], port: Number(node.split(":")[1]) })),
          { redisOptions: { maxRetriesPerRequest: null } },
        )
      : new IORedis(url, { maxRetriesPerRequest: null }),
    prefix: process.env.BULL_PREFIX ?? "bull",
    concurrency: Number(process.env.WORKER_CONCURRENCY ?? 1),
    settings: { backoffStrategy },
  },
);
worker.on("completed", (job, result) => print({ event: "completed", id: job.id, result }));
worker.on("failed", (job, err) => print({ event: "failed", id: job?.id, attemptsMade: job?.attemptsMade, reason: err.message }));
await worker.waitUntilReady();
print({ event: "ready" });

const stop = async () => {
  await worker.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
