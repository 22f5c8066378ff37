import { ConnectionCard } from "../components/ConnectionCard";
import { QueueTable } from "../components/QueueTable";
import { ThroughputChart } from "../components/ThroughputChart";
import { useConnectionStatus } from "../hooks/useConnectionStatus";
import { CHART_MINUTES, useHealth, useQueues, useThroughput } from "../hooks/queries";
import { useLive } from "../hooks/useLiveUpdates";

/** The first page: Redis, every queue's counts and the system's health reasons. */
export function Overview() {
  const status = useConnectionStatus();
  const queues = useQueues();
  const health = useHealth();
  const throughput = useThroughput(useLive());
  const connected = status.data?.state === "connected";
  return (
    <main className="page" aria-labelledby="page-title">
      <h1 id="page-title">Overview</h1>
      {status.isPending && <p className="muted">Asking Antrian for its status…</p>}
      {status.isError && (
        <p className="error" role="alert" data-testid="connection-error">
          {status.error.message}
        </p>
      )}
      {status.data && <ConnectionCard status={status.data} />}
      {health.data && health.data.reasons.length > 0 && (
        <section className={`card health-${health.data.status}`} data-testid="health-reasons">
          <h2>Health: {health.data.status}</h2>
          <ul>
            {health.data.reasons.map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ul>
        </section>
      )}
      <section className="card" aria-labelledby="queues-title">
        <header className="card-header">
          <h2 id="queues-title">Queues</h2>
        </header>
        {queues.isError && connected && (
          <p className="error" role="alert">
            {queues.error.message}
          </p>
        )}
        {queues.data && <QueueTable queues={queues.data} />}
      </section>
      <section className="card" aria-labelledby="throughput-title">
        <h2 id="throughput-title">Finished per minute, last {CHART_MINUTES} minutes</h2>
        {throughput.isError && connected && (
          <p className="error" role="alert">
            {throughput.error.message}
          </p>
        )}
        {throughput.data && <ThroughputChart data={throughput.data} />}
      </section>
    </main>
  );
}
