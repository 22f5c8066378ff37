import { useQuery } from "@tanstack/react-query";

import { useApi, type Via } from "../api";
import { Time } from "../components/Time";
import { useLive } from "../hooks/useLiveUpdates";

/** Entries shown: the latest ones; `antrian audit --limit 1000` reads every kept entry. */
const SHOWN = 200;

/** Actions write no event: the log is read again this often while the page shows. */
const EVERY_MS = 5000;

const VIA: Record<Via, string> = { desktop: "Desktop", dashboard: "Dashboard", cli: "CLI" };

/** Who removed, retried, promoted, cleaned, paused or edited which jobs, newest first. */
export function Audit() {
  const api = useApi();
  const live = useLive();
  const log = useQuery({
    queryKey: ["audit"],
    queryFn: () => api.listAudit(SHOWN),
    refetchInterval: live ? EVERY_MS : false,
  });
  return (
    <main className="page wide" aria-labelledby="page-title">
      <h1 id="page-title">Audit log</h1>
      <p className="muted">
        Every remove, retry, promote, clean, pause, resume and data edit, from the window, the dashboard and the
        CLI (<code>antrian audit</code>). Redis keeps the latest entries; older ones are dropped.
      </p>
      {log.isError && <p className="error" role="alert">{log.error.message}</p>}
      {log.isPending && <p className="muted" role="status">Loading the audit log…</p>}
      {log.data?.length === 0 && <p className="muted">Nothing has been removed, retried, paused or edited yet.</p>}
      {log.data && log.data.length > 0 && (
        <div className="table-wrap">
          <table className="table" data-testid="audit-log">
            <thead>
              <tr><th>When</th><th>Who</th><th>What</th></tr>
            </thead>
            <tbody>
              {log.data.map((e, i) => (
                <tr key={`${e.at}-${i}`}>
                  <td className="nowrap"><Time at={e.at} /></td>
                  <td>{VIA[e.actor.via]} · {e.actor.who}</td>
                  <td>
                    <a href={`#/queues/${encodeURIComponent(e.queue)}`}>{e.summary}</a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </main>
  );
}
