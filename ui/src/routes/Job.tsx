
import { useState } from "react";

import { useApi, type JobDetail, type JobState } from "../api";
import { Dialog } from "../components/Dialog";
import { Time } from "../components/Time";
import { useJob } from "../hooks/queries";
import { useAct } from "../hooks/useAct";
import { link } from "../hooks/useRoute";

/** A progress value as a percentage, when it is one. */
export function percent(progress: unknown): number | null {
  if (typeof progress === "number") return Math.max(0, Math.min(100, progress));
  if (typeof progress === "object" && progress !== null && "percent" in progress) {
    const p = (progress as { percent: unknown }).percent;
    if (typeof p === "number") return Math.max(0, Math.min(100, p));
  }
  return null;
}

/** One job: data, options, progress, logs, failure and result, with its actions. */
export function JobPage({ queue, id }: { queue: string; id: string }) {
  const api = useApi();
  const job = useJob(queue, id);
  const back = link("queues", [queue], job.data ? { state: job.data.state } : {});
  const run = useAct(["job", queue, id], ["queues"]);
  const [removing, setRemoving] = useState(false);
  const act = async (done: string, action: () => Promise<void>, leave = false) => {
    if ((await run(done, action)) && leave) window.location.hash = back;
  };
  if (job.isPending) return <main className="page"><p className="muted">Loading job {id}…</p></main>;
  if (job.isError) {
    return (
      <main className="page" aria-labelledby="page-title">
        <h1 id="page-title">Job {id}</h1>
        <p className="error" role="alert">{job.error.message}</p>
        <a href={link("queues", [queue])}>Back to {queue}</a>
      </main>
    );
  }
  const j = job.data;
  const p = percent(j.progress);
  return (
    <main className="page wide" aria-labelledby="page-title">
      <p className="crumbs">
        <a href={link("queues", [queue])}>{queue}</a> / <a href={back}>{j.state}</a>
        {j.parent !== null && (
          <span data-testid="parent">
            {" "}· child of <a href={link("queues", [j.parent.queue, "jobs", j.parent.id])}>{j.parent.name || "job"} #{j.parent.id}</a>{" "}
            <span className={`badge badge-${j.parent.state}`}>{j.parent.state}</span>
          </span>
        )}
      </p>
      <header className="page-header">
        <h1 id="page-title">
          {j.name} <span className="muted">#{j.id}</span>{" "}
          <span className={`badge badge-${j.state}`} data-testid="job-state">{j.state}</span>
        </h1>
        <div className="actions">
          {j.state === "failed" && (
            <button type="button" className="primary" onClick={() => act(`job ${id} retried`, () => api.retryJob(queue, id))}>
              Retry
            </button>
          )}
          {j.state === "delayed" && (
            <button type="button" onClick={() => act(`job ${id} promoted`, () => api.promoteJob(queue, id))}>Promote</button>
          )}
          <a className="button" href={link("add-job", [], { queue, from: id })}>Duplicate</a>
          <button type="button" className="danger" onClick={() => setRemoving(true)}>
            Remove
          </button>
        </div>
      </header>
      {p !== null && (p > 0 || j.state === "active") && (
        <progress max={100} value={p} aria-label="Progress">{p}%</progress>
      )}
      <Timeline job={j} />
      {j.failedReason !== null && (
        <section className="card" data-testid="failure">
          <h2>Failed: {j.failedReason}</h2>
          {j.stacktrace.length > 0 && (
            <>
              <button type="button" onClick={() => void navigator.clipboard?.writeText(j.stacktrace.join("\n\n"))}>
                Copy stack trace
              </button>
              <pre className="code">{j.stacktrace[j.stacktrace.length - 1]}</pre>
            </>
          )}
        </section>
      )}
      {j.childrenTotal > 0 && <Children job={j} />}
      {editable(j.state) ? <DataEditor job={j} /> : <Json title="Data" value={j.data} open />}
      <Json title="Options" value={j.options} />
      {j.returnValue !== null && <Json title="Result" value={j.returnValue} open />}
      <details className="card" open={j.logs.length > 0}>
        <summary>Logs ({j.logs.length})</summary>
        {j.logs.length === 0 ? <p className="muted">This job wrote no log lines.</p> : (
          <pre className="code" data-testid="logs">{j.logs.join("\n")}</pre>
        )}
      </details>
      {removing && (
        <Dialog
          title={`Remove job ${id} from ${queue}?`}
          confirm="Remove"
          danger
          onClose={() => setRemoving(false)}
          onConfirm={() => {
            setRemoving(false);
            void act(`job ${id} removed`, () => api.removeJob(queue, id), true);
          }}
        >
          <p>Its data, result and logs go with it. It cannot be undone.</p>
        </Dialog>
      )}
    </main>
  );
}

/** A parent's children (a batch's pages, as a BullMQ flow): each linked, with its state. */
function Children({ job }: { job: JobDetail }) {
  const counts = new Map<JobState, number>();
  for (const c of job.children) counts.set(c.state, (counts.get(c.state) ?? 0) + 1);
  return (
    <section className="card" aria-labelledby="children-title" data-testid="children">
      <h2 id="children-title">
        Children ({job.childrenTotal}){" "}
        <span className="small muted">
          {[...counts].map(([state, n]) => `${n} ${state}`).join(" · ")}
          {job.children.length < job.childrenTotal && ` · the first ${job.children.length} shown`}
        </span>
      </h2>
      <div className="table-wrap">
        <table className="table">
          <thead>
            <tr>
              <th>Job</th>
              <th>Queue</th>
              <th>State</th>
            </tr>
          </thead>
          <tbody>
            {job.children.map((c) => (
              <tr key={`${c.queue}/${c.id}`}>
                <td>
                  {c.gone ? (
                    <span className="muted" title="Removed by the queue's retention (removeOnComplete / removeOnFail)">#{c.id} (removed)</span>
                  ) : (
                    <a href={link("queues", [c.queue, "jobs", c.id])}>{c.name} #{c.id}</a>
                  )}
                </td>
                <td>{c.queue}</td>
                <td><span className={`badge badge-${c.state}`}>{c.state}</span></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** One step of a job's life, as BullMQ kept it. */
export interface Step {
  what: string;
  at: number | null;
  detail?: string;
  bad?: boolean;
}

/**
 * A job's attempts in order: added; each failed attempt with its error (BullMQ keeps a
 * stack trace per failed attempt, not when it ran); the latest start; how it ended.
 */
export function steps(job: JobDetail): Step[] {
  const out: Step[] = [{ what: "Added", at: job.timestamp }];
  const running = job.state === "active";
  // The attempt that started last: the one running, or the last one that ended.
  const latest = running ? job.attemptsMade + 1 : job.attemptsMade;
  // Did that last attempt fail (for good, or with a retry to come)?
  const latestFailed = !running && job.state !== "completed" && job.attemptsMade > 0 && job.stacktrace.length > 0;
  const earlier = latestFailed ? job.stacktrace.slice(0, -1) : job.stacktrace;
  // BullMQ keeps a limited number of traces: the first attempts' may be gone.
  const lost = Math.max(0, latest - 1 - earlier.length);
  earlier.forEach((trace, i) => {
    out.push({ what: `Attempt ${String(lost + i + 1)} failed`, at: null, detail: trace.split("\n")[0] ?? "", bad: true });
  });
  if (job.processedOn !== null && latest > 0) out.push({ what: `Attempt ${String(latest)} started`, at: job.processedOn });
  const reason = job.failedReason ?? job.stacktrace[job.stacktrace.length - 1]?.split("\n")[0] ?? "";
  if (job.state === "completed") out.push({ what: "Completed", at: job.finishedOn });
  else if (job.state === "failed") out.push({ what: "Failed for good", at: job.finishedOn, detail: reason, bad: true });
  else if (latestFailed) out.push({ what: `Attempt ${String(latest)} failed; a retry is due`, at: null, detail: reason, bad: true });
  return out;
}

function Timeline({ job }: { job: JobDetail }) {
  return (
    <section className="card" aria-labelledby="timeline-title">
      <h2 id="timeline-title">
        Attempts: <span data-testid="attempts">{job.attemptsMade}</span>
      </h2>
      <ol className="timeline" data-testid="timeline">
        {steps(job).map((step, i) => (
          <li key={i} className={step.bad ? "bad" : undefined}>
            <strong>{step.what}</strong> {step.at !== null && <Time at={step.at} />}
            {step.detail !== undefined && step.detail !== "" && <div className="small">{step.detail}</div>}
          </li>
        ))}
      </ol>
    </section>
  );
}

function Json({ title, value, open = false }: { title: string; value: unknown; open?: boolean }) {
  return (
    <details className="card" open={open}>
      <summary>{title}</summary>
      <pre className="code">{JSON.stringify(value, null, 2)}</pre>
    </details>
  );
}

/** Whether core lets a job's data be edited: no worker holds it and it has not completed. */
export function editable(state: JobState): boolean {
  return state !== "active" && state !== "completed";
}

/**
 * The job's data, with an editor for jobs core lets be edited: JSON checked here for
 * syntax, then by core with the rules it applies to new jobs; its refusal shows inline and
 * the text stays. A failed job can be saved and retried in one step.
 */
function DataEditor({ job }: { job: JobDetail }) {
  const api = useApi();
  const run = useAct(["job", job.queue, job.id], ["jobs", job.queue], ["queues"]);
  const [text, setText] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (text === null) {
    return (
      <details className="card" open>
        <summary>Data</summary>
        <button type="button" onClick={() => setText(JSON.stringify(job.data, null, 2))}>
          Edit data
        </button>
        <pre className="code">{JSON.stringify(job.data, null, 2)}</pre>
      </details>
    );
  }
  const save = async (retry: boolean) => {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (e) {
      setError(`Data is not valid JSON: ${(e as Error).message}`);
      return;
    }
    if (typeof data !== "object" || data === null || Array.isArray(data)) {
      setError("Data must be a JSON object, like {\"url\": \"https://…\"}.");
      return;
    }
    try {
      await api.updateJobData(job.queue, job.id, data as Record<string, unknown>);
    } catch (e) {
      setError((e as Error).message);
      return;
    }
    setText(null);
    setError(null);
    await run(
      retry ? `job ${job.id} saved and retried` : `job ${job.id} data saved`,
      () => (retry ? api.retryJob(job.queue, job.id) : Promise.resolve()),
    );
  };
  return (
    <section className="card" aria-labelledby="edit-data-title">
      <h2 id="edit-data-title">Edit data</h2>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          void save(false);
        }}
        onKeyDown={(e) => {
          if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
            e.preventDefault();
            void save(false);
          }
        }}
      >
        <label>
          <span className="sr-only">Job data (JSON)</span>
          <textarea
            className="code"
            rows={Math.min(20, text.split("\n").length + 1)}
            value={text}
            onChange={(e) => setText(e.target.value)}
            aria-label="Job data (JSON)"
            aria-invalid={error !== null}
            aria-describedby={error !== null ? "edit-data-error" : undefined}
            spellCheck={false}
          />
        </label>
        {error !== null && (
          <p className="error" role="alert" id="edit-data-error">
            {error}
          </p>
        )}
        <div className="actions">
          <button type="submit" className="primary">Save</button>
          {job.state === "failed" && (
            <button type="button" onClick={() => void save(true)}>Save and retry</button>
          )}
          <button type="button" onClick={() => { setText(null); setError(null); }}>Cancel</button>
        </div>
      </form>
    </section>
  );
}
