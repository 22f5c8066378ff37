// bull-board's API (npm @bull-board/api + @bull-board/express) over the same Redis, for the
// dashboard benchmark.   node bull-board.mjs REDIS_URL PORT QUEUE...
// Prints "ready" once it listens.
import express from "express";
import { Queue } from "bullmq";
import IORedis from "ioredis";
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { ExpressAdapter } from "@bull-board/express";

const [url, port, ...names] = process.argv.slice(2);
const connection = new IORedis(url, { maxRetriesPerRequest: null });
const serverAdapter = new ExpressAdapter();
serverAdapter.setBasePath("/");
createBullBoard({
  queues: names.map((name) => new BullMQAdapter(new Queue(name, { connection }))),
  serverAdapter,
});
const app = express();
app.use("/", serverAdapter.getRouter());
app.listen(Number(port), "127.0.0.1", () => process.stdout.write("ready\n"));
