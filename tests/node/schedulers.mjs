// Lists a queue's job schedulers with Node.js BullMQ 6, for Antrian's interop tests.
//   node schedulers.mjs REDIS_URL QUEUE
// Prints getJobSchedulers() as one JSON line.
import { Queue } from "bullmq";
import IORedis from "ioredis";

const [url, name] = process.argv.slice(2);
const connection = new IORedis(url, { maxRetriesPerRequest: null });
const queue = new Queue(name, { connection });
const schedulers = await queue.getJobSchedulers(0, -1, true);
process.stdout.write(`${JSON.stringify(schedulers)}\n`);
await queue.close();
connection.disconnect();
