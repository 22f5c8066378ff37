import { useState } from "react";
import { useQueryClient } from "@tanstack/react-query";

import { useApi, type BulkAction, type JobDetail, type JobQuery, type JobState, type QueueStats } from "../api";
import { Dialog } from "../components/Dialog";
import { NewQueueForm } from "../components/NewQueueForm";
import { QueueTable } from "../components/QueueTable";
import { Time } from "../components/Time";
import { useToast } from "../components/Toasts";
import { useJobTypes, useJobs, useQueues } from "../hooks/queries";
import { useAct } from "../hooks/useAct";
import { link, type Route } from "../hooks/useRoute";
import { formatDuration } from "../lib/format";

const TABS: { state: JobState; label: string; count(q: QueueStats): number }[] = [
  { state: "waiting", label: "Waiting", count: (q) => q.waiting },
  { state: "active", label: "Active", count: (q) => q.active },
  { state: "delayed", label: "Delayed", count: (q) => q.delayed },
  { state: "completed", label: "Completed", count: (q) => q.completed },
  { state: "failed", label: "Failed", count: (q) => q.failed },
  { state: "paused", label: "Paused", count: (q) => q.paused },
];
const PAGE_SIZES = [20, 50, 100, 200];

/** The seed's job data fields a filter can look in; "" is anywhere in the data. */
export const FILTER_FIELDS: { field: string; label: string }[] = [
  { field: "", label: "anywhere in data" },
  { field: "url", label: "URL" },
  { field: "shopUrl", label: "shop URL" },
  { field: "shopId", label: "shop id" },
  { field: "accountId", label: "account" },
  { field: "to", label: "e-mail to" },
  { field: "webhookUrl", label: "webhook URL" },
];

/** What a row says about a job's target: the seed's data fields users search by. */
export function target(data: unknown): string {
  if (typeof data !== "object" || data === null) return "";
  const d = data as Record<string, unknown>;
  const urls = Array.isArray(d.urls) ? `${d.urls.length} URLs` : undefined;
  const parts = [d.url, d.shopUrl, urls, d.accountId, d.to, d.webhookUrl, d.type]
    .filter((v): v is string => typeof v === "string" && v !== "");
  return parts.join(" · ");
}

/** A change to the route's query; `undefined` takes a part out (a cleared filter). */
type QueryChange = { [K in keyof JobQuery]?: JobQuery[K] | undefined };

/** The query a route asks for, defaults filled in. */
export function queryOf(route: Route): JobQuery {
  const state = (route.params.get("state") ?? "waiting") as JobState;
  const page = Math.max(1, Number(route.params.get("page") ?? 1) || 1);
  // Core's default page size applies unless the route names one.
  const size = Number(route.params.get("pageSize"));
  const order = route.params.get("order") === "oldest" ? "oldest" : "newest";
  const filter = Object.fromEntries(
    (["name", "field", "text"] as const).flatMap((k) => {
      const v = route.params.get(k)?.trim();
      return v ? [[k, v]] : [];
    }),
  ) as Pick<JobQuery, "name" | "field" | "text">;
  return { state, page, order, ...(size > 0 ? { pageSize: size } : {}), ...filter };
}

/** Whether a query keeps only some jobs of its state. */
export function filtered(query: JobQuery): boolean {
  return Boolean(query.name ?? query.field ?? query.text);
}

/** Queues: the list, or one queue's jobs by state. */
export function Queues({ route }: { route: Route }) {
  const queue = route.parts[0];
  const queues = useQueues();
  if (queue === undefined) return <QueueIndex />;
  const stats = queues.data?.find((q) => q.name === queue);
  const query = queryOf(route);
  // A new tab, page or order is a new page: the selection and dialogs start afresh, so a
  // bulk action never applies to rows that are no longer shown.
  const key = [queue, query.state, query.page, query.pageSize, query.order, query.name, query.field, query.text].join("|");
  return <QueuePage key={key} queue={queue} stats={stats} query={query} alert={route.params.get("alert")} />;
}

/**
 * Says how many finished jobs the queue keeps (core's defaults, the seed's removeOnFail /
 * removeOnComplete), so a failure that scrolled out of the list is not a mystery.
 */
function Retention({ state }: { state: "failed" | "completed" }) {
  const defaults = useJobTypes().data?.defaults;
  if (!defaults) return null;
  const [kept, setting] =
    state === "failed" ? [defaults.keepFailed, "QUEUE_REMOVE_ON_FAIL"] : [defaults.keepCompleted, "QUEUE_REMOVE_ON_COMPLETE"];
  return (
    <p className="small muted" data-testid="retention">
      Antrian keeps the latest {kept} {state} jobs of each queue (unless a job says otherwise); older ones are
      removed as new ones finish. <code>{setting}</code> keeps more.
    </p>
  );
}

/** Every queue, filtered by name as one types, and the form that creates one. */
function QueueIndex() {
  const queues = useQueues();
  const [filter, setFilter] = useState("");
  const wanted = filter.trim().toLowerCase();
  const shown = queues.data?.filter((q) => q.name.toLowerCase().includes(wanted));
  return (
    <main className="page" aria-labelledby="page-title">
      <h1 id="page-title">Queues</h1>
      <NewQueueForm />
      <label className="toolbar">
        Filter <input type="search" value={filter} placeholder="queue name" onChange={(e) => setFilter(e.target.value)} />
      </label>
      {queues.isError && <p className="error">{queues.error.message}</p>}
      {queues.isPending && <p className="muted" role="status">Loading queues…</p>}
      {shown && shown.length === 0 && wanted !== "" && (
        <p className="muted" data-testid="no-queue-matches">No queue name contains “{filter.trim()}”.</p>
      )}
      {shown && (shown.length > 0 || wanted === "") && <QueueTable queues={shown} />}
    </main>
  );
}

function QueuePage({
  queue,
  stats,
  query,
  alert,
}: {
  queue: string;
  stats: QueueStats | undefined;
  query: JobQuery;
  /** The error of the failure group a notification opened this page for. */
  alert: string | null;
}) {
  const api = useApi();
  const client = useQueryClient();
  const toast = useToast();
  const jobs = useJobs(queue, query);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [anchor, setAnchor] = useState<number | null>(null);
  const [cleaning, setCleaning] = useState(false);
  // A mass or destructive action waiting for the operator's yes, with its count.
  const [confirming, setConfirming] = useState<Confirmation | null>(null);
  const [jump, setJump] = useState("");
  // "All matching": every job the filter keeps, beyond this page.
  const [allMatching, setAllMatching] = useState(false);
  const go = (changes: QueryChange) => {
    setSelected(new Set());
    window.location.hash = link("queues", [queue], { ...query, ...changes });
  };
  const refresh = () => client.invalidateQueries({ queryKey: ["jobs", queue] }).then(() =>
    client.invalidateQueries({ queryKey: ["queues"] }),
  );
  const rows = jobs.data?.jobs ?? [];
  const total = jobs.data?.total ?? 0;
  // The page size in effect: the one asked for, or the one core answered with.
  const pageSize = query.pageSize ?? jobs.data?.pageSize;
  const pages = pageSize === undefined ? 1 : Math.max(1, Math.ceil(total / pageSize));

  const toggle = (index: number, shift: boolean) => {
    const next = new Set(selected);
    const id = rows[index]?.id;
    if (id === undefined) return;
    if (shift && anchor !== null) {
      const [from, to] = anchor < index ? [anchor, index] : [index, anchor];
      const on = !selected.has(id);
      for (const row of rows.slice(from, to + 1)) {
        if (on) next.add(row.id);
        else next.delete(row.id);
      }
    } else if (next.has(id)) next.delete(id);
    else next.add(id);
    setAnchor(index);
    setSelected(next);
  };

  const bulk = async (verb: string, action: (id: string) => Promise<void>) => {
    const ids = [...selected];
    toast(`${verb} ${ids.length} jobs…`);
    const results = await Promise.allSettled(ids.map(action));
    const failed = results.filter((r) => r.status === "rejected");
    const first = failed[0];
    if (first && first.status === "rejected") {
      toast(`${verb}: ${ids.length - failed.length} done, ${failed.length} refused: ${(first.reason as Error).message}`, "error");
    } else toast(`${verb}: ${ids.length} done`);
    setSelected(new Set());
    await refresh();
  };
  const act = useAct(["jobs", queue], ["queues"]);
  const onMatching = async (verb: string, action: BulkAction) => {
    const { name, field, text } = query;
    toast(`${verb} ${total} matching jobs…`);
    try {
      const filter = { name: name ?? null, field: field ?? null, text: text ?? null };
      const out = await api.actOnMatching(queue, query.state, filter, action);
      const skipped = out.skipped[0];
      if (skipped !== undefined) {
        toast(`${verb}: ${out.done} done, ${out.skipped.length} skipped: ${skipped}`, "error");
      } else toast(`${verb}: ${out.done} done`);
    } catch (e) {
      toast((e as Error).message, "error");
    }
    setAllMatching(false);
    setSelected(new Set());
    await refresh();
  };
  const search = jobs.data?.search ?? null;
  const cleanable = query.state === "completed" || query.state === "failed";
  const cleanCount = stats ? (query.state === "failed" ? stats.failed : stats.completed) : 0;

  return (
    <main className="page wide" aria-labelledby="page-title">
      <header className="page-header">
        <h1 id="page-title">
          {queue} {stats?.isPaused && <span className="badge badge-paused">paused</span>}
        </h1>
        <div className="actions">
          <a className="button" href={link("add-job", [], { queue })}>Add job</a>
          {stats?.isPaused ? (
            <button type="button" onClick={() => act(`${queue} resumed`, () => api.resumeQueue(queue))}>Resume</button>
          ) : (
            <button type="button" onClick={() => setConfirming({
              title: `Pause ${queue}?`,
              confirm: "Pause",
              body: `Workers everywhere (Node.js ones too) stop taking its jobs; the ${String(stats?.waiting ?? 0)} waiting stay queued until it is resumed.`,
              run: () => act(`${queue} paused`, () => api.pauseQueue(queue)),
            })}>Pause</button>
          )}
          {query.state === "failed" && total > 0 && (
            <button type="button" onClick={() => setConfirming({
              title: `Retry all ${String(stats?.failed ?? total)} failed jobs of ${queue}?`,
              confirm: "Retry all",
              body: "Each goes back to waiting with its attempts reset and runs again.",
              run: () => act(`retrying every failed job of ${queue}`, () => api.retryFailed(queue)),
            })}>
              Retry all failed
            </button>
          )}
          {query.state === "delayed" && total > 0 && (
            <button type="button" onClick={() => setConfirming({
              title: `Run all ${String(stats?.delayed ?? total)} delayed jobs of ${queue} now?`,
              confirm: "Promote all",
              body: "Each moves to waiting at once instead of at its time.",
              run: () => act(`promoting every delayed job of ${queue}`, () => api.promoteAll(queue)),
            })}>
              Promote all
            </button>
          )}
          {cleanable && cleanCount > 0 && (
            <button type="button" className="danger" onClick={() => setCleaning(true)}>
              Clean {query.state}
            </button>
          )}
        </div>
      </header>
      {stats?.needsWorker && (
        <p className="warning" data-testid="no-worker">
          No worker is consuming this queue: start one with <code>antrian workers</code>.
        </p>
      )}
      {alert && query.state === "failed" && (
        <section className="card alert-group" data-testid="alert-group" aria-label="Failures from a notification">
          <p>
            From a notification: <strong>{query.name ?? "jobs"}</strong>
            {query.text ? ` on ${query.text}` : ""} failing with <strong>{alert}</strong>. {total} failed{" "}
            {total === 1 ? "job matches" : "jobs match"}.
          </p>
          <button type="button" disabled={total === 0} onClick={() => void onMatching("Retrying", "retry")}>
            Retry these
          </button>
        </section>
      )}
      <nav className="tabs" aria-label="Job states">
        {TABS.map((t) => (
          <a
            key={t.state}
            href={link("queues", [queue], {
              state: t.state,
              pageSize: query.pageSize,
              name: query.name,
              field: query.field,
              text: query.text,
            })}
            aria-current={t.state === query.state ? "page" : undefined}
          >
            {t.label} <span className="count">{stats ? t.count(stats) : "…"}</span>
          </a>
        ))}
      </nav>
      <FilterForm query={query} onApply={(f) => go({ ...f, page: 1 })} />
      {(query.state === "failed" || query.state === "completed") && <Retention state={query.state} />}
      {search && (
        <p className="small muted" data-testid="search-scope">
          {search.complete
            ? `${total} matching of the ${search.scanned} ${query.state} jobs.`
            : `${total} matching among the ${query.order} ${search.scanned} ${query.state} jobs searched; older ones were not read (narrow the filter, or clean old jobs).`}
        </p>
      )}
      <div className="toolbar">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (jump.trim() !== "") window.location.hash = link("queues", [queue, "jobs", jump.trim()]);
          }}
        >
          <label>
            Job id <input value={jump} onChange={(e) => setJump(e.target.value)} placeholder="jump to id" />
          </label>
        </form>
        <label>
          Order{" "}
          <select value={query.order} onChange={(e) => go({ order: e.target.value as JobQuery["order"], page: 1 })}>
            <option value="newest">newest first</option>
            <option value="oldest">oldest first</option>
          </select>
        </label>
        <label>
          Page size{" "}
          <select value={pageSize ?? ""} onChange={(e) => go({ pageSize: Number(e.target.value), page: 1 })}>
            {pageSize === undefined && <option value="">…</option>}
            {(pageSize === undefined || PAGE_SIZES.includes(pageSize) ? PAGE_SIZES : [...PAGE_SIZES, pageSize].sort((x, y) => x - y)).map((n) => (
              <option key={n} value={n}>{n}</option>
            ))}
          </select>
        </label>
        {allMatching && (
          <span className="selection" data-testid="selection">
            All {total} matching selected:
            {query.state === "failed" && (
              <button type="button" onClick={() => setConfirming({
                title: `Retry ${String(total)} matching failed jobs of ${queue}?`,
                confirm: `Retry ${String(total)}`,
                body: "Each goes back to waiting and runs again.",
                run: () => onMatching("Retried", "retry"),
              })}>Retry</button>
            )}
            {query.state === "delayed" && (
              <button type="button" onClick={() => void onMatching("Promoted", "promote")}>Promote</button>
            )}
            <button type="button" className="danger" onClick={() => setConfirming({
              title: `Remove ${String(total)} matching jobs from ${queue}?`,
              confirm: `Remove ${String(total)} jobs`,
              danger: true,
              body: "Their data, results and logs go with them. It cannot be undone.",
              run: () => onMatching("Removed", "remove"),
            })}>Remove</button>
            <button type="button" onClick={() => { setAllMatching(false); setSelected(new Set()); }}>Clear</button>
          </span>
        )}
        {!allMatching && filtered(query) && rows.length > 0 && total > rows.length && rows.every((r) => selected.has(r.id)) && (
          <button type="button" onClick={() => setAllMatching(true)}>Select all {total} matching</button>
        )}
        {!allMatching && selected.size > 0 && (
          <span className="selection" data-testid="selection">
            {selected.size} selected:
            {query.state === "failed" && (
              <button type="button" onClick={() => setConfirming({
                title: `Retry ${String(selected.size)} failed ${selected.size === 1 ? "job" : "jobs"} of ${queue}?`,
                confirm: `Retry ${String(selected.size)}`,
                body: "Each goes back to waiting and runs again.",
                run: () => bulk("Retried", (id) => api.retryJob(queue, id)),
              })}>Retry</button>
            )}
            {query.state === "delayed" && (
              <button type="button" onClick={() => bulk("Promoted", (id) => api.promoteJob(queue, id))}>Promote</button>
            )}
            <button type="button" className="danger" onClick={() => setConfirming({
              title: `Remove ${String(selected.size)} ${selected.size === 1 ? "job" : "jobs"} from ${queue}?`,
              confirm: `Remove ${String(selected.size)}`,
              danger: true,
              body: "Their data, results and logs go with them. It cannot be undone.",
              run: () => bulk("Removed", (id) => api.removeJob(queue, id)),
            })}>
              Remove
            </button>
          </span>
        )}
      </div>
      {jobs.isError && <p className="error" role="alert">{jobs.error.message}</p>}
      {jobs.isPending && <p className="muted" role="status">Loading {query.state ?? "waiting"} jobs…</p>}
      {jobs.data && rows.length === 0 && (
        <p className="muted" data-testid="no-jobs">
          {filtered(query) ? `No ${query.state} jobs in ${queue} match the filter.` : `No ${query.state} jobs in ${queue}.`}
        </p>
      )}
      {rows.length > 0 && (
        <div className="table-wrap">
          <JobTable rows={rows} queue={queue} state={query.state} selected={selected} onToggle={toggle}
            onAll={(on) => setSelected(on ? new Set(rows.map((r) => r.id)) : new Set())} />
        </div>
      )}
      {jobs.data && (
        <div className="pager">
          <button type="button" disabled={query.page <= 1} onClick={() => go({ page: query.page - 1 })}>Previous</button>
          <span data-testid="page-of">
            Page {query.page} of {pages} · {total} {filtered(query) ? "matching" : ""} jobs
          </span>
          <button type="button" disabled={query.page >= pages} onClick={() => go({ page: query.page + 1 })}>Next</button>
        </div>
      )}
      {confirming && (
        <Dialog
          title={confirming.title}
          confirm={confirming.confirm}
          danger={confirming.danger ?? false}
          onClose={() => setConfirming(null)}
          onConfirm={() => {
            setConfirming(null);
            void confirming.run();
          }}
        >
          <p>{confirming.body}</p>
        </Dialog>
      )}
      {cleaning && (
        <Dialog
          title={`Clean ${query.state} jobs of ${queue}?`}
          confirm={`Remove ${cleanCount} jobs`}
          danger
          onClose={() => setCleaning(false)}
          onConfirm={() => {
            setCleaning(false);
            void act(`cleaned ${query.state} jobs of ${queue}`, () =>
              api.cleanQueue(queue, {
                completed: query.state === "completed",
                failed: query.state === "failed",
                count: null,
                grace: 0,
              }),
            );
          }}
        >
          <p>
            This removes all {cleanCount} {query.state} jobs of {queue}, with their data and logs. It cannot be undone.
          </p>
        </Dialog>
      )}
    </main>
  );
}

/** Job name and a data field to search; applied on Enter or the button, cleared by Clear. */
function FilterForm({ query, onApply }: { query: JobQuery; onApply(f: QueryChange): void }) {
  const [name, setName] = useState(query.name ?? "");
  const [field, setField] = useState(query.field ?? "");
  const [text, setText] = useState(query.text ?? "");
  return (
    <form
      className="toolbar filter"
      role="search"
      aria-label="Filter jobs"
      onSubmit={(e) => {
        e.preventDefault();
        onApply({ name: name.trim() || undefined, field: field || undefined, text: text.trim() || undefined });
      }}
    >
      <label>
        Search{" "}
        <input type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder="shop.example, user123…" />
      </label>
      <label>
        in{" "}
        <select value={field} onChange={(e) => setField(e.target.value)} aria-label="Data field">
          {FILTER_FIELDS.map((f) => (
            <option key={f.field} value={f.field}>{f.label}</option>
          ))}
        </select>
      </label>
      <label>
        Job name <input value={name} onChange={(e) => setName(e.target.value)} placeholder="any" size={16} />
      </label>
      <button type="submit">Filter</button>
      {filtered(query) && (
        <button type="button" onClick={() => onApply({ name: undefined, field: undefined, text: undefined })}>Clear</button>
      )}
    </form>
  );
}

/** What a confirmation dialog asks, and what a yes does. */
interface Confirmation {
  title: string;
  confirm: string;
  body: string;
  danger?: boolean;
  run(): Promise<unknown>;
}

interface TableProps {
  rows: JobDetail[];
  queue: string;
  state: JobState;
  selected: Set<string>;
  onToggle(index: number, shift: boolean): void;
  onAll(on: boolean): void;
}

/** A failure's reason without the URL its job's row already shows. */
export function reasonOf(job: JobDetail): string {
  const reason = job.failedReason ?? "";
  const d = job.data as Record<string, unknown> | null;
  const url = typeof d?.url === "string" ? d.url : null;
  return url !== null && reason.startsWith(`${url}: `) ? reason.slice(url.length + 2) : reason;
}

/** When a delayed job runs: added + its delay. */
function runsAt(job: JobDetail): number | null {
  const delay = (job.options as { delay?: unknown } | null)?.delay;
  return typeof delay === "number" ? job.timestamp + delay : null;
}

/** The columns that matter for jobs in `state`, after id and name. */
function columnsFor(state: JobState): { label: string; cell(job: JobDetail): React.ReactNode }[] {
  const targetCol = { label: "Target", cell: (j: JobDetail) => <span className="ellipsis-inline" title={target(j.data)}>{target(j.data)}</span> };
  const attempts = { label: "Attempts", cell: (j: JobDetail) => j.attemptsMade };
  const added = { label: "Added", cell: (j: JobDetail) => <Time at={j.timestamp} /> };
  const finished = { label: "Finished", cell: (j: JobDetail) => <Time at={j.finishedOn} /> };
  switch (state) {
    case "failed":
      return [
        { label: "Reason", cell: (j) => <span className="bad" title={j.failedReason ?? ""}>{reasonOf(j)}</span> },
        attempts,
        targetCol,
        finished,
      ];
    case "delayed":
      return [{ label: "Runs at", cell: (j) => <Time at={runsAt(j)} tense="future" /> }, attempts, targetCol, added];
    case "completed":
      return [
        {
          label: "Took",
          cell: (j) => (j.finishedOn !== null && j.processedOn !== null ? formatDuration(j.finishedOn - j.processedOn) : "—"),
        },
        targetCol,
        attempts,
        finished,
      ];
    case "active":
      return [{ label: "Started", cell: (j) => <Time at={j.processedOn} /> }, targetCol, attempts, added];
    default:
      return [targetCol, attempts, added];
  }
}

function JobTable({ rows, queue, state, selected, onToggle, onAll }: TableProps) {
  const all = rows.every((r) => selected.has(r.id));
  const columns = columnsFor(state);
  return (
    <div className="table-wrap">
      <table className="table" data-testid="job-table">
        <thead>
          <tr>
            <th>
              <input type="checkbox" aria-label="Select every job on this page" checked={all}
                onChange={(e) => onAll(e.target.checked)} />
            </th>
            <th>Id</th>
            <th>Name</th>
            {columns.map((c) => <th key={c.label}>{c.label}</th>)}
          </tr>
        </thead>
        <tbody>
          {rows.map((job, i) => (
            <tr key={job.id} aria-selected={selected.has(job.id)}>
              <td>
                <input
                  type="checkbox"
                  aria-label={`Select job ${job.id}`}
                  checked={selected.has(job.id)}
                  onChange={() => undefined}
                  onClick={(e) => onToggle(i, e.shiftKey)}
                />
              </td>
              <td><a href={link("queues", [queue, "jobs", job.id])}>{job.id}</a></td>
              <td className="nowrap">{job.name}</td>
              {columns.map((c) => (
                <td key={c.label} className={c.label === "Reason" ? "reason" : c.label === "Target" ? undefined : "nowrap"}>
                  {c.cell(job)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
