import type { ConnectionStatus } from "../api";
import { formatBytes, formatLatency } from "../lib/format";

const stateLabel: Record<ConnectionStatus["state"], string> = {
  connecting: "connecting",
  connected: "connected",
  disconnected: "disconnected",
  failed: "failed",
};

/** What the Overview says about Redis. */
export function ConnectionCard({ status }: { status: ConnectionStatus }) {
  // A configuration error means nothing was started: mode and address would mislead.
  const configError = status.state === "failed" && status.error?.code === "invalid_input";
  return (
    <section className="card" aria-labelledby="connection-title">
      <header className="card-header">
        <h2 id="connection-title">Redis</h2>
        <span className={`badge badge-${status.state}`} data-testid="connection-state">
          {stateLabel[status.state]}
        </span>
      </header>
      {status.evictionWarning !== null && (
        <p className="warning" role="alert" data-testid="eviction-warning">
          {status.evictionWarning}
        </p>
      )}
      {status.error !== null && status.state !== "connected" && (
        <p className="error" role="alert" data-testid="connection-error">
          {status.error.message}
        </p>
      )}
      {configError ? (
        <p className="muted" data-testid="config-hint">
          Fix the setting and restart Antrian. <code>antrian config</code> lists every setting
          with where its value came from.
        </p>
      ) : (
        <Facts status={status} />
      )}
    </section>
  );
}

function Facts({ status }: { status: ConnectionStatus }) {
  const memory =
    status.usedMemoryBytes === null
      ? "—"
      : status.maxMemoryBytes
        ? `${formatBytes(status.usedMemoryBytes)} of ${formatBytes(status.maxMemoryBytes)}`
        : `${formatBytes(status.usedMemoryBytes)} (no limit)`;
  return (
    <dl className="facts">
      <dt>Mode</dt>
      <dd data-testid="redis-mode">{status.mode}</dd>
      <dt>Address</dt>
      <dd>{status.address}</dd>
      <dt>Version</dt>
      <dd data-testid="redis-version">{status.redisVersion ?? "—"}</dd>
      <dt>Memory</dt>
      <dd data-testid="redis-memory">{memory}</dd>
      <dt>Eviction policy</dt>
      <dd>{status.maxmemoryPolicy ?? "—"}</dd>
      <dt>Clients</dt>
      <dd data-testid="redis-clients">
        {status.connectedClients === null
          ? "—"
          : status.maxClients === null
            ? status.connectedClients
            : `${String(status.connectedClients)} of ${String(status.maxClients)}`}
      </dd>
      <dt>Latency</dt>
      <dd data-testid="redis-latency">
        {status.latencyMs === null ? "—" : formatLatency(status.latencyMs)}
      </dd>
    </dl>
  );
}
