import { useState } from "react";

import type { QueueStats } from "../api";
import { useJobTypes } from "../hooks/queries";
import { link } from "../hooks/useRoute";
import { compareNames, formatDuration } from "../lib/format";

type SortKey = "name" | "waiting" | "failed";

/** Failed share of what finished in the last minute, or null when nothing did. */
export function failureRate(q: QueueStats): number | null {
  const done = q.completedLastMinute + q.failedLastMinute;
  return done === 0 ? null : q.failedLastMinute / done;
}

/** Every queue with its counts per state, sortable by failed or waiting. */
export function QueueTable({ queues }: { queues: QueueStats[] }) {
  const [sort, setSort] = useState<SortKey>("name");
  // Queues Antrian's own pools serve (the catalogue's); others need their own workers.
  // Only an unserved queue's hint needs it, so the catalogue is fetched only then.
  const catalogue = useJobTypes(queues.some((q) => q.needsWorker)).data;
  const served = catalogue && new Set(catalogue.jobTypes.map((t) => t.queue));
  if (queues.length === 0) {
    return (
      <p className="muted" data-testid="no-queues">
        No queues yet. Add a job (<a href={link("add-job")}>Add job</a>) or start a producer;
        BullMQ queues under the prefix show up here by themselves.
      </p>
    );
  }
  const sorted = [...queues].sort((a, b) =>
    sort === "name" ? compareNames(a.name, b.name) : b[sort] - a[sort],
  );
  const header = (key: SortKey, label: string) => (
    <th aria-sort={sort === key ? (key === "name" ? "ascending" : "descending") : undefined}>
      <button type="button" className="link" onClick={() => setSort(key)}>
        {label}
      </button>
    </th>
  );
  return (
    <div className="table-wrap">
      <table className="table" data-testid="queue-table">
        <thead>
          <tr>
            {header("name", "Queue")}
            {header("waiting", "Waiting")}
            <th>Active</th>
            <th>Delayed</th>
            <th>Completed</th>
            {header("failed", "Failed")}
            <th>Per minute</th>
            <th>Oldest waiting</th>
            <th>Workers</th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((q) => {
            const rate = failureRate(q);
            return (
              <tr key={q.name} data-testid={`queue-${q.name}`}>
                <td>
                  <a href={link("queues", [q.name])}>{q.name}</a>{" "}
                  {q.isPaused && <span className="badge badge-paused">paused</span>}
                </td>
                <td className="num">
                  <a href={link("queues", [q.name], { state: "waiting" })}>{q.waiting}</a>
                </td>
                <td className="num">{q.active}</td>
                <td className="num">{q.delayed}</td>
                <td className="num">{q.completed}</td>
                <td className={`num ${q.failed > 0 ? "bad" : ""}`}>
                  <a href={link("queues", [q.name], { state: "failed" })}>{q.failed}</a>
                </td>
                <td className="num" title="completed / failed in the last minute">
                  {q.completedLastMinute} / {q.failedLastMinute}
                  {rate !== null && (
                    <span className={rate > 0 ? "bad" : "muted"}> ({Math.round(rate * 100)}% failed)</span>
                  )}
                </td>
                <td className="num">
                  {q.oldestWaitingMs === null ? "—" : formatDuration(q.oldestWaitingMs)}
                </td>
                <td className="num">
                  {q.workers}
                  {q.needsWorker && (
                    <span className="hint" data-testid={`no-worker-${q.name}`}>
                      {" "}
                      no worker is consuming this queue
                      {served?.has(q.name) && (
                        <>: start one with <code>antrian workers</code></>
                      )}
                      {served && !served.has(q.name) &&
                        ": Antrian runs no handler for it; start the BullMQ worker that serves it"}
                    </span>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
