import { ConnectionCard } from "../components/ConnectionCard";
import { useConnectionStatus } from "../hooks/useConnectionStatus";

/** The first page: how Antrian's Redis is doing. Queues join it with the queue manager. */
export function Overview() {
  const status = useConnectionStatus();
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
    </main>
  );
}
