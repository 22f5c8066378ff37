import { ConnectionCard } from "../components/ConnectionCard";
import { useHealth } from "../hooks/queries";
import { useConnectionStatus } from "../hooks/useConnectionStatus";

/** Redis and the system's health with every reason. */
export function Health() {
  const status = useConnectionStatus();
  const health = useHealth();
  return (
    <main className="page" aria-labelledby="page-title">
      <h1 id="page-title">Health</h1>
      {health.data && (
        <section className={`card health-${health.data.status}`} data-testid="health">
          <h2>
            Antrian is <span data-testid="health-status">{health.data.status}</span>
          </h2>
          {health.data.reasons.length === 0 ? (
            <p className="muted">Nothing to report: Redis answers, no queue is backed up or failing.</p>
          ) : (
            <ul>
              {health.data.reasons.map((r) => <li key={r}>{r}</li>)}
            </ul>
          )}
        </section>
      )}
      {health.isError && <p className="error" role="alert">{health.error.message}</p>}
      {status.data && <ConnectionCard status={status.data} />}
    </main>
  );
}
