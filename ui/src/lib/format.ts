/** 1536 → "1.5 KiB". */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${units[unit] ?? "B"}`;
}

/** 0.4321 → "0.43 ms". */
export function formatLatency(ms: number): string {
  return ms < 10 ? `${ms.toFixed(2)} ms` : `${Math.round(ms)} ms`;
}

/** 95_000 → "1 min 35 s"; 3_700_000 → "1 h 1 min". */
export function formatDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 1) return `${Math.max(0, Math.round(ms))} ms`;
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 === 0 ? `${m} min` : `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d`;
}

/** A time relative to `now`: "3 min ago", "in 2 h", "just now". */
export function formatRelative(at: number, now: number, tense: Tense = "any"): string {
  let diff = at - now;
  // The page's clock ticks every few seconds and the server's may run ahead of this one:
  // an event that happened is never "in 1 s", a time that is due is never "ago".
  if (tense === "past") diff = Math.min(diff, 0);
  else if (tense === "future") diff = Math.max(diff, 0);
  if (Math.abs(diff) < 1000) return "just now";
  return diff < 0 ? `${formatDuration(-diff)} ago` : `in ${formatDuration(diff)}`;
}

/** Whether a time is known to be past (an event) or future (a due time), or either. */
export type Tense = "past" | "future" | "any";

/** The absolute time shown on hover, in the viewer's zone, named. */
export function formatAbsolute(at: number): string {
  return new Date(at).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "long" });
}

/**
 * Orders names (queues, worker types) case-insensitively, then by code unit. Not
 * `localeCompare`: these are identifiers, not prose, and a collator loads ICU's collation
 * tables into the web process for good (about a megabyte the idle window keeps).
 */
export function compareNames(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x !== y) return x < y ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
