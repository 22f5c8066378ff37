// Adds jobs with a Node.js BullMQ 6 Queue and waits, through QueueEvents, until a worker
// (Antrian's, in the interop test) finishes each one.
//   node wait-finished.mjs REDIS_URL QUEUE '[{"name": ..., "data": {...}}, ...]'
// Prints one JSON line: [{"id", "returnvalue"}] in the order given.
import { Queue, QueueEvents } from "bullmq";
import IORedis from "ioredis";

const [url, name, jobsJson] = process.argv.slice(2);
const queue = new Queue(name, { connection: new IORedis(url, { maxRetriesPerRequest: null }) });
const events = new QueueEvents(name, { connection: new IORedis(url, { maxRetriesPerRequest: null }) });
await events.waitUntilReady();
const added = [];
for (const job of JSON.parse(jobsJson)) added.push(await queue.add(job.name, job.data, job.opts ?? {}));
const results = [];
for (const job of added) {
  const returnvalue = await job.waitUntilFinished(events, 30000);
  results.push({ id: job.id, returnvalue });
}
process.stdout.write(`${JSON.stringify(results)}\n`);
await events.close();
await queue.close();
process.exit(0);
