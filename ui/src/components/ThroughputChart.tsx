import { useState } from "react";

import type { MinuteCounts, QueueThroughput } from "../api";

const ALL = "";
const HEIGHT = 120;
const BAR = 8;
const GAP = 2;

/** Bars the chart draws at most: a longer window adds minutes up into wider bars. */
export const MAX_BARS = 72;

/** `minutes` added up `size` at a time (the last bar ends with the current minute). */
export function bucket(minutes: MinuteCounts[], size: number): MinuteCounts[] {
  if (size <= 1) return minutes;
  const out: MinuteCounts[] = [];
  // Aligned on the end, so the newest bar is always whole up to now.
  for (let end = minutes.length; end > 0; end -= size) {
    const part = minutes.slice(Math.max(0, end - size), end);
    out.unshift({
      at: part[0]?.at ?? 0,
      completed: part.reduce((s, m) => s + m.completed, 0),
      failed: part.reduce((s, m) => s + m.failed, 0),
    });
  }
  return out;
}

/** One queue's minutes, or every queue's added up minute by minute. */
export function combine(data: QueueThroughput[], queue: string): MinuteCounts[] {
  const chosen = queue === ALL ? data : data.filter((t) => t.queue === queue);
  const first = chosen[0];
  if (!first) return [];
  return first.minutes.map((m, i) => ({
    at: m.at,
    completed: chosen.reduce((sum, t) => sum + (t.minutes[i]?.completed ?? 0), 0),
    failed: chosen.reduce((sum, t) => sum + (t.minutes[i]?.failed ?? 0), 0),
  }));
}

const clock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

/**
 * Completed and failed jobs per minute as stacked bars (failed on top, in red), for every
 * queue or one; each bar names its minute and counts on hover, and the chart's label sums
 * them for screen readers.
 */
export function ThroughputChart({ data }: { data: QueueThroughput[] }) {
  const [queue, setQueue] = useState(ALL);
  const all = combine(data, queue);
  const size = Math.max(1, Math.ceil(all.length / MAX_BARS));
  const minutes = bucket(all, size);
  const per = size === 1 ? "min" : `${String(size)} min`;
  const completed = minutes.reduce((s, m) => s + m.completed, 0);
  const failed = minutes.reduce((s, m) => s + m.failed, 0);
  const peak = Math.max(1, ...minutes.map((m) => m.completed + m.failed));
  const scale = (n: number) => (n / peak) * (HEIGHT - 14);
  const width = minutes.length * (BAR + GAP);
  const summary =
    `${String(completed)} completed and ${String(failed)} failed ` +
    `in the last ${String(all.length)} minutes`;
  return (
    <div className="throughput" data-testid="throughput">
      <div className="toolbar">
        <p className="small muted" data-testid="throughput-summary">
          <span className="legend legend-completed" aria-hidden="true" /> {completed.toLocaleString()}{" "}
          completed · <span className="legend legend-failed" aria-hidden="true" />{" "}
          {failed.toLocaleString()} failed · peak {peak.toLocaleString()} per {per}
        </p>
        <label className="small">
          <span className="sr-only">Queue</span>
          <select value={queue} onChange={(e) => setQueue(e.target.value)} aria-label="Chart queue">
            <option value={ALL}>All queues</option>
            {data.map((t) => (
              <option key={t.queue} value={t.queue}>
                {t.queue}
              </option>
            ))}
          </select>
        </label>
      </div>
      <svg
        role="img"
        aria-label={summary}
        viewBox={`0 0 ${String(width)} ${String(HEIGHT)}`}
        preserveAspectRatio="none"
        className="throughput-chart"
      >
        {minutes.map((m, i) => {
          const x = i * (BAR + GAP);
          const ok = scale(m.completed);
          const bad = scale(m.failed);
          return (
            <g key={m.at} data-testid="throughput-minute">
              <title>
                {`${clock.format(m.at)}${size > 1 ? ` (${per})` : ""}: ${String(m.completed)} completed, ${String(m.failed)} failed`}
              </title>
              <rect x={x} y={0} width={BAR} height={HEIGHT} fill="transparent" />
              {ok > 0 && (
                <rect className="bar-completed" x={x} y={HEIGHT - ok} width={BAR} height={ok} />
              )}
              {bad > 0 && (
                <rect className="bar-failed" x={x} y={HEIGHT - ok - bad} width={BAR} height={bad} />
              )}
            </g>
          );
        })}
      </svg>
      <div className="axis small muted" aria-hidden="true">
        <span>{minutes[0] ? clock.format(minutes[0].at) : ""}</span>
        <span>now</span>
      </div>
    </div>
  );
}
