import { Time } from "./Time";

/**
 * Says, above every page, that the window cannot reach Antrian (the dashboard or Redis)
 * and that what it shows is the last data read, greyed, from before `since`.
 */
export function StaleNotice({ since, why }: { since: number; why: string | null }) {
  return (
    <div className="stale-notice" role="alert" data-testid="stale-notice">
      <strong>Disconnected</strong> — {why ?? "Antrian does not answer."} What you see was read before{" "}
      <Time at={since} /> and may be out of date; the window reconnects by itself.
    </div>
  );
}
