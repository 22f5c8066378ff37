import { ConnectionCard } from "../components/ConnectionCard";
import { QueueTable } from "../components/QueueTable";
import { ThroughputChart } from "../components/ThroughputChart";
import { useConnectionStatus } from "../hooks/useConnectionStatus";
import { useState } from "react";

import { CHART_MINUTES, CHART_WINDOWS, useHealth, useQueues, useThroughput } from "../hooks/queries";
import { useLive } from "../hooks/useLiveUpdates";

/** The first page: what needs attention (health reasons, failing queues) first, then Redis. */
export function Overview() {
  const status = useConnectionStatus();
  const queues = useQueues();
  const health = useHealth();
  const [chartMinutes, setChartMinutes] = useState<number>(CHART_MINUTES);
  const throughput = useThroughput(useLive(), chartMinutes);
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
        <header className="card-header">
          <h2 id="throughput-title">Finished jobs</h2>
          <label className="small">
            Window{" "}
            <select value={chartMinutes} onChange={(e) => setChartMinutes(Number(e.target.value))} aria-label="Chart window">
              {CHART_WINDOWS.map((w) => (
                <option key={w.minutes} value={w.minutes}>last {w.label}</option>
              ))}
            </select>
          </label>
        </header>
        {throughput.isError && connected && (
          <p className="error" role="alert">
            {throughput.error.message}
          </p>
        )}
        {throughput.data && <ThroughputChart data={throughput.data} />}
      </section>
      {/* Trouble first: health reasons and the queues lead, the connection's facts follow. */}
      {status.data && <ConnectionCard status={status.data} />}
    </main>
  );
}
