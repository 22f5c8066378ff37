// Adds jobs with a Node.js BullMQ 6 Queue, for Antrian's interop tests.
//   node producer.mjs REDIS_URL QUEUE '[{"name": ..., "data": {...}, "opts": {...}}, ...]'
// Prints the job ids as a JSON array.
import { Queue } from "bullmq";
import IORedis from "ioredis";

const [url, name, jobsJson] = process.argv.slice(2);
const connection = new IORedis(url, { maxRetriesPerRequest: null });
const queue = new Queue(name, { connection });
const ids = [];
for (const job of JSON.parse(jobsJson)) {
  const added = await queue.add(job.name, job.data, job.opts ?? {});
  ids.push(added.id);
}
process.stdout.write(`${JSON.stringify(ids)}\n`);
await queue.close();
connection.disconnect();
