import { useNow } from "../hooks/useNow";
import { formatAbsolute, formatRelative, type Tense } from "../lib/format";

/**
 * A relative time with the absolute one (and its zone) on hover. Times are events that
 * happened unless `tense` says otherwise (a job's run time, a schedule's next run).
 */
export function Time({ at, tense = "past" }: { at: number | null; tense?: Tense }) {
  const now = useNow();
  if (at === null) return <span className="muted">—</span>;
  return (
    <time dateTime={new Date(at).toISOString()} title={formatAbsolute(at)}>
      {formatRelative(at, now, tense)}
    </time>
  );
}
