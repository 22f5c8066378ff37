import { useNow } from "../hooks/useNow";
import { formatAbsolute, formatRelative } from "../lib/format";

/** A relative time with the absolute one on hover. */
export function Time({ at }: { at: number | null }) {
  const now = useNow();
  if (at === null) return <span className="muted">—</span>;
  return (
    <time dateTime={new Date(at).toISOString()} title={formatAbsolute(at)}>
      {formatRelative(at, now)}
    </time>
  );
}
