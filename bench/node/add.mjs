// Node.js bullmq@6 counterpart of crates/core/benches/queue_add.rs: Queue.add (sequential)
// and Queue.addBulk (chunks of 1000), 20,000 jobs of ~200 bytes, median of 3.
//   node add.mjs REDIS_URL [default|antrian]
// "antrian" gives every job the options Antrian writes by default (explicit priority,
// attempts, fixed backoff, removeOnComplete/Fail) so both sides run the same scripts.
import { Queue } from "bullmq";
import IORedis from "ioredis";

const [url, mode = "default"] = process.argv.slice(2);
const JOBS = 20000;
const CHUNK = 1000;
const RUNS = 3;
const opts =
  mode === "antrian"
    ? { priority: 6, attempts: 3, backoff: { type: "fixed", delay: 5000 }, removeOnComplete: 50, removeOnFail: 20 }
    : {};

function payload(i) {
  const v = {
    url: `https://shopee.co.id/product/${100000 + i}/${7000000 + i}`,
    accountId: "user123",
    options: { useProxy: true, retryAttempts: 3 },
    pad: "",
  };
  v.pad = "x".repeat(Math.max(0, 200 - JSON.stringify(v).length));
  return v;
}

const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const data = Array.from({ length: JOBS }, (_, i) => payload(i));
const connection = new IORedis(url, { maxRetriesPerRequest: null });
const sequential = [];
const bulk = [];
for (let run = 0; run < RUNS; run++) {
  await connection.flushdb();
  const seqQueue = new Queue("bench-sequential", { connection });
  let started = performance.now();
  for (const d of data) await seqQueue.add("product-scraping", d, opts);
  sequential.push(JOBS / ((performance.now() - started) / 1000));

  const bulkQueue = new Queue("bench-bulk", { connection });
  started = performance.now();
  for (let i = 0; i < JOBS; i += CHUNK) {
    await bulkQueue.addBulk(data.slice(i, i + CHUNK).map((d) => ({ name: "product-scraping", data: d, opts })));
  }
  bulk.push(JOBS / ((performance.now() - started) / 1000));
}
await connection.flushdb();
console.log(`node(${mode}) Queue.add sequential: ${median(sequential).toFixed(0)} jobs/s`);
console.log(`node(${mode}) Queue.addBulk x${CHUNK}: ${median(bulk).toFixed(0)} jobs/s`);
connection.disconnect();
