import type { HistoryEntry } from "../api";

const W = 80;
const H = 20;

/** The price points of a product's changes, oldest first (changes without a price skipped). */
export function pricePoints(history: HistoryEntry[]): { at: number; price: number }[] {
  return history
    .filter((h): h is HistoryEntry & { price: number } => h.price !== null)
    .map((h) => ({ at: h.at, price: h.price }))
    .sort((a, b) => a.at - b.at);
}

/**
 * A product's price over its recorded changes, as a small line; its label says the range
 * and the direction of the last change, which is also written beside it for sighted users.
 */
export function Sparkline({ history, currency, minorDigits }: {
  history: HistoryEntry[];
  currency?: string | null | undefined;
  /** Core's digits of the currency's minor unit: history prices are in minor units. */
  minorDigits?: number | undefined;
}) {
  const points = pricePoints(history);
  const major = (minor: number) => (minor / 10 ** (minorDigits ?? 0)).toLocaleString();
  const first = points[0];
  const last = points[points.length - 1];
  if (!first || !last || points.length < 2) return <span className="muted small">—</span>;
  const prices = points.map((p) => p.price);
  const low = Math.min(...prices);
  const high = Math.max(...prices);
  const span = high - low || 1;
  const step = W / (points.length - 1);
  const line = points
    .map((p, i) => `${String(i * step)},${String(H - 2 - ((p.price - low) / span) * (H - 4))}`)
    .join(" ");
  const previous = points[points.length - 2]?.price ?? last.price;
  const change = last.price - previous;
  const direction = change > 0 ? "up" : change < 0 ? "down" : "unchanged";
  const unit = currency ? ` ${currency}` : "";
  const label =
    `${String(points.length)} prices from ${major(low)} to ${major(high)}${unit}; ` +
    `last change ${direction}`;
  return (
    <span className="sparkline">
      <svg role="img" aria-label={label} viewBox={`0 0 ${String(W)} ${String(H)}`} width={W} height={H}>
        <title>{label}</title>
        <polyline points={line} />
      </svg>
      <span className={`small trend-${direction}`} aria-hidden="true">
        {change > 0 ? "▲" : change < 0 ? "▼" : "="}
      </span>
    </span>
  );
}
