import { useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";

import { useApi, type NodeCommand, type NodeInfo, type ScalingRecord, type ScalingRules, type WorkerType } from "../api";
import { Dialog } from "../components/Dialog";
import { ScalingChart } from "../components/ScalingChart";
import { Time } from "../components/Time";
import { useToast } from "../components/Toasts";
import { useLive } from "../hooks/useLiveUpdates";
import { compareNames } from "../lib/format";

/** Heartbeats carry no event: nodes are read again this often while the page shows. */
const NODES_EVERY_MS = 5000;

/** Worker nodes with their pools and commands, and the auto-scaling decision log. */
export function Workers() {
  const api = useApi();
  const live = useLive();
  // TanStack Query stops the interval while the window is hidden.
  const nodes = useQuery({
    queryKey: ["workers"],
    queryFn: () => api.listNodes(),
    refetchInterval: live ? NODES_EVERY_MS : false,
  });
  const log = useQuery({ queryKey: ["workers", "log"], queryFn: () => api.listScalingLog(200) });
  const rules = useQuery({ queryKey: ["scaling-rules"], queryFn: () => api.getScalingRules(), staleTime: Infinity });
  return (
    <main className="page wide" aria-labelledby="page-title">
      <h1 id="page-title">Workers</h1>
      {nodes.isError && <p className="error" role="alert">{nodes.error.message}</p>}
      {nodes.isPending && <p className="muted" role="status">Loading worker nodes…</p>}
      {nodes.data?.length === 0 && (
        <p className="muted" data-testid="no-nodes">
          No worker node is running. Start one with <code>antrian workers</code> (or <code>antrian start</code>).
        </p>
      )}
      {nodes.data?.map((n) => <NodeCard key={n.id} node={n} />)}
      <section className="card" aria-labelledby="scaling-title">
        <h2 id="scaling-title">Auto-scaling</h2>
        {rules.data && <p data-testid="scaling-rules">{describeRules(rules.data)}</p>}
        {rules.data &&
          log.data &&
          poolsIn(log.data).map(([pool, records]) => (
            <div key={pool} data-testid={`scaling-chart-${pool}`}>
              <h3 className="small">{pool}</h3>
              <ScalingChart records={records} threshold={rules.data.scaleUpThreshold} />
            </div>
          ))}
      </section>
      <section className="card" aria-labelledby="log-title">
        <h2 id="log-title">Scaling decisions</h2>
        {log.data?.length === 0 && <p className="muted">No scaling decision yet.</p>}
        {log.data && log.data.length > 0 && (
          <div className="table-wrap">
            <table className="table" data-testid="scaling-log">
              <thead>
                <tr><th>When</th><th>Node</th><th>Pool</th><th>Workers</th><th>Waiting</th><th>Why</th></tr>
              </thead>
              <tbody>
                {log.data.slice(0, 50).map((r) => (
                  <tr key={`${r.atMs}-${r.node}-${r.workerType}`}>
                    <td><Time at={r.atMs} /></td>
                    <td>{r.node}</td>
                    <td>{r.workerType}</td>
                    <td className="num">{r.from} → {r.to}</td>
                    <td className="num">{r.waiting}</td>
                    <td>{r.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </main>
  );
}

/** The rules in a sentence, as the seed's autoScaling block sets them. */
export function describeRules(r: ScalingRules): string {
  if (!r.enabled) return "Off: pools keep the size they are given (QUEUE_AUTO_SCALING=false).";
  const cooldown = r.cooldownMs % 60_000 === 0 ? `${String(r.cooldownMs / 60_000)} min` : `${String(r.cooldownMs / 1000)} s`;
  return (
    `On: ${String(r.minWorkers)}–${String(r.maxWorkers)} workers per pool; more when over ` +
    `${String(r.scaleUpThreshold)} jobs wait (one per ${String(r.scaleUpThreshold)} waiting), one fewer when under ` +
    `${String(r.scaleDownThreshold)} wait; at most one change per ${cooldown}.`
  );
}

/** Each pool's decisions (the log is newest first), pools in name order. */
export function poolsIn(log: ScalingRecord[]): [string, ScalingRecord[]][] {
  const by = new Map<string, ScalingRecord[]>();
  for (const r of log) by.set(r.workerType, [...(by.get(r.workerType) ?? []), r]);
  return [...by.entries()].sort(([a], [b]) => compareNames(a, b));
}

function NodeCard({ node }: { node: NodeInfo }) {
  const api = useApi();
  const toast = useToast();
  const [sizes, setSizes] = useState<Record<string, string>>({});
  const [draining, setDraining] = useState(false);
  const client = useQueryClient();
  const send = async (command: NodeCommand) => {
    try {
      const reply = await api.sendNodeCommand(node.id, command);
      toast(reply.message, reply.ok ? "info" : "error");
    } catch (e) {
      toast((e as Error).message, "error");
    }
    // The node's pools and the scaling history as they are now, not at the next poll.
    await client.invalidateQueries({ queryKey: ["workers"] });
  };
  const pools = Object.entries(node.stats.byType);
  return (
    <section className="card" data-testid={`node-${node.id}`} aria-label={`Node ${node.id}`}>
      <header className="card-header">
        <h2>{node.id}</h2>
        <span className={`badge ${node.alive ? "badge-connected" : "badge-failed"}`}>{node.alive ? "alive" : "gone"}</span>
      </header>
      <p className="muted">
        {node.host} · Antrian {node.version} · heartbeat <Time at={node.heartbeatMs} /> · started <Time at={node.startedAtMs} />
      </p>
      <div className="table-wrap">
        <table className="table">
          <thead>
            <tr><th>Pool</th><th>Workers</th><th>Size</th><th>Concurrency</th><th>Active</th><th>Utilisation</th><th>Processed / failed</th><th>p95</th><th>Scale</th></tr>
          </thead>
          <tbody>
            {pools.map(([type, s]) => (
              <tr key={type} data-testid={`pool-${type}`}>
                <td>{type}</td>
                <td className="num">{s.workers}</td>
                <td>
                  {s.pinned ? (
                    <span className="badge badge-paused" title="Set by an operator: auto-scaling leaves it alone until handed back">pinned</span>
                  ) : (
                    <span className="muted">auto</span>
                  )}
                </td>
                <td className="num">{s.concurrency}</td>
                <td className="num">{s.active}</td>
                <td className="num">
                  <meter min={0} max={1} value={s.utilisation} aria-label={`${type} utilisation`} /> {Math.round(s.utilisation * 100)}%
                </td>
                <td className="num">{s.processed} / {s.failed}</td>
                <td className="num">{s.p95DurationMs} ms</td>
                <td>
                  {node.alive && (
                    <form className="actions" onSubmit={(e) => {
                      e.preventDefault();
                      const raw = (sizes[type] ?? String(s.workers)).trim();
                      if (!/^\d+$/.test(raw)) {
                        toast(`${type}: give a whole number of workers (${s.sizeHint})`, "error");
                        return;
                      }
                      void send({ command: "scale", workerType: type as WorkerType, workers: Number(raw) });
                    }}>
                      <input aria-label={`${type} workers`} inputMode="numeric" size={3} value={sizes[type] ?? String(s.workers)}
                        title={s.sizeHint}
                        onChange={(e) => setSizes({ ...sizes, [type]: e.target.value })} />
                      <button type="submit">Scale</button>
                      {s.pinned && (
                        <button type="button" title="Let auto-scaling size this pool again"
                          onClick={() => void send({ command: "auto", workerType: type as WorkerType })}>Auto</button>
                      )}
                      <button type="button" onClick={() => void send({ command: "pause", workerType: type as WorkerType })}>Pause</button>
                      <button type="button" onClick={() => void send({ command: "resume", workerType: type as WorkerType })}>Resume</button>
                    </form>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {node.alive && (
        <div className="actions">
          <button type="button" className="danger" onClick={() => setDraining(true)}>
            Drain and stop this node
          </button>
        </div>
      )}
      {draining && (
        <Dialog title={`Drain ${node.id}?`} confirm="Drain and stop" danger onClose={() => setDraining(false)}
          onConfirm={() => {
            setDraining(false);
            void send({ command: "drain" });
          }}>
          <p>
            Its {node.stats.totalWorkers} workers finish the {node.stats.totalActive} jobs they are running, take no
            new ones, and the node stops. Jobs waiting in the queues stay for other nodes.
          </p>
        </Dialog>
      )}
    </section>
  );
}
