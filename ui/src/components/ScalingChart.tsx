import type { ScalingRecord } from "../api";

const W = 600;
const H = 120;
const PAD = 6;

const clock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });

/** x and y of each decision, oldest first: time across, the value up (each on its own scale). */
export function points(records: ScalingRecord[], value: (r: ScalingRecord) => number, max: number): [number, number][] {
  const first = records[0]?.atMs ?? 0;
  const span = Math.max(1, (records[records.length - 1]?.atMs ?? first) - first);
  return records.map((r) => [
    PAD + ((r.atMs - first) / span) * (W - 2 * PAD),
    H - PAD - (Math.min(value(r), max) / Math.max(1, max)) * (H - 2 * PAD),
  ]);
}

/**
 * One pool's size after each scaling decision (a step line) against the queue depth it
 * decided on (dots), each on its own scale, with the scale-up threshold dashed on the
 * depth scale. Each dot names its decision on hover; the label sums them up.
 */
export function ScalingChart({ records, threshold }: { records: ScalingRecord[]; threshold: number }) {
  const ordered = [...records].sort((a, b) => a.atMs - b.atMs);
  const maxWorkers = Math.max(1, ...ordered.map((r) => Math.max(r.from, r.to)));
  const maxWaiting = Math.max(1, threshold, ...ordered.map((r) => r.waiting));
  const size = points(ordered, (r) => r.to, maxWorkers);
  const depth = points(ordered, (r) => r.waiting, maxWaiting);
  const steps = size.flatMap(([x, y], i) => {
    const prev = size[i - 1];
    return prev ? [[x, prev[1]] as const, [x, y] as const] : [[x, y] as const];
  });
  const thresholdY = H - PAD - (threshold / maxWaiting) * (H - 2 * PAD);
  const last = ordered[ordered.length - 1];
  const label =
    `${String(ordered.length)} decisions: pool size ${String(ordered[0]?.from ?? 0)} to ${String(last?.to ?? 0)} workers ` +
    `(most ${String(maxWorkers)}), queue depth up to ${String(maxWaiting)} waiting`;
  return (
    <figure className="scaling-chart">
      <svg role="img" aria-label={label} viewBox={`0 0 ${String(W)} ${String(H)}`} preserveAspectRatio="none">
        <line className="threshold" x1={0} x2={W} y1={thresholdY} y2={thresholdY}>
          <title>{`scale up above ${String(threshold)} waiting`}</title>
        </line>
        <polyline className="pool-size" points={steps.map(([x, y]) => `${String(x)},${String(y)}`).join(" ")} />
        {ordered.map((r, i) => {
          const [x, y] = depth[i] ?? [0, 0];
          return (
            <circle key={`${String(r.atMs)}-${r.node}`} className="depth" cx={x} cy={y} r={3}>
              <title>{`${clock.format(r.atMs)} on ${r.node}: ${String(r.waiting)} waiting, ${String(r.from)} → ${String(r.to)} workers. ${r.reason}`}</title>
            </circle>
          );
        })}
      </svg>
      <figcaption className="small muted">
        <span className="legend legend-size" aria-hidden="true" /> workers (0–{maxWorkers}) ·{" "}
        <span className="legend legend-depth" aria-hidden="true" /> jobs waiting at each decision (0–{maxWaiting}) · dashed:
        scale-up threshold
      </figcaption>
    </figure>
  );
}
