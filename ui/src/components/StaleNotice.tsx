import { formatAbsolute } from "../lib/format";

const clock = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });

/**
 * Says, above every page, that the window cannot reach Antrian (the dashboard or Redis)
 * since `since`, and that the page below is the last data read before then, greyed.
 */
export function StaleNotice({ since, why }: { since: number; why: string | null }) {
  return (
    <div className="stale-notice" role="alert" data-testid="stale-notice">
      <strong>
        Disconnected since <time dateTime={new Date(since).toISOString()} title={formatAbsolute(since)}>{clock.format(since)}</time>
      </strong>{" "}
      — {why ?? "Antrian does not answer."} The page below shows what was read before then; the window
      reconnects by itself.
    </div>
  );
}
