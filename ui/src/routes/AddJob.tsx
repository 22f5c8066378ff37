import { useCallback, useEffect, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";

import { useApi, type AddedJob } from "../api";
import { useQueues } from "../hooks/queries";
import { link, type Route } from "../hooks/useRoute";
import { buildData, buildOptions, fieldOf, initialValues, JOB_TYPES, keyOf, type Field, type Values } from "./jobTypes";

/** Jobs a live check sends to core at most (a pasted list of URLs makes one job each). */
const CHECK_AT_MOST = 20;
/** How long typing pauses before the form is checked. */
const CHECK_AFTER_MS = 300;

/** What the form would add, or why it cannot be read. */
type Built = { queue: string; jobs: { name: string; data: Record<string, unknown> }[]; opts: Record<string, unknown> };

/** The live check's verdict: nothing yet, core accepts it, or why not (and which field). */
type Check = { state: "idle" } | { state: "ok" } | { state: "error"; message: string; field: string | undefined };

const PRIORITIES = ["critical", "high", "normal", "low", "background"];

/** Add a job: a form per seed job type, or raw JSON for any queue and job name. */
export function AddJob({ route }: { route: Route }) {
  const api = useApi();
  const client = useQueryClient();
  const queues = useQueues();
  const from = route.params.get("from");
  const fromQueue = route.params.get("queue") ?? "";
  const [typeIndex, setTypeIndex] = useState(() => {
    const i = JOB_TYPES.findIndex((t) => t.queue === fromQueue);
    return i < 0 ? 0 : i;
  });
  const type = JOB_TYPES[typeIndex] ?? JOB_TYPES[0];
  const [raw, setRaw] = useState(from !== null);
  const [values, setValues] = useState<Values>(() => (type ? initialValues(type) : {}));
  const [rawQueue, setRawQueue] = useState(fromQueue || "scraping-queue");
  const [rawName, setRawName] = useState("");
  const [rawData, setRawData] = useState("{}");
  const [options, setOptions] = useState({ priority: "", delaySeconds: "", attempts: "", backoff: "", backoffMs: "" });
  const [error, setError] = useState<string | null>(null);
  const [added, setAdded] = useState<AddedJob[]>([]);
  const [busy, setBusy] = useState(false);
  // Checked as the user types, once they have typed: the same rules core applies on add.
  const [touched, setTouched] = useState(false);
  const [check, setCheck] = useState<Check>({ state: "idle" });

  // "Duplicate" from a job page: its name and data in the JSON editor.
  useEffect(() => {
    if (from === null || fromQueue === "") return;
    api.getJob(fromQueue, from).then(
      (job) => {
        setRawQueue(job.queue);
        setRawName(job.name);
        setRawData(JSON.stringify(job.data, null, 2));
      },
      (e: Error) => setError(e.message),
    );
  }, [api, from, fromQueue]);

  const build = useCallback((): Built | { error: string } => {
    try {
      const opts = buildOptions(options);
      if (raw) {
        let data: unknown;
        try {
          data = JSON.parse(rawData);
        } catch (e) {
          return { error: `Data: not JSON (${(e as Error).message})` };
        }
        if (typeof data !== "object" || data === null || Array.isArray(data)) return { error: "Data: must be a JSON object" };
        return { queue: rawQueue.trim(), jobs: [{ name: rawName.trim(), data: data as Record<string, unknown> }], opts };
      }
      if (!type) return { error: "Choose a job type" };
      return { queue: type.queue, jobs: buildData(type, values).map((data) => ({ name: type.name, data })), opts };
    } catch (e) {
      return { error: (e as Error).message };
    }
  }, [options, raw, rawData, rawName, rawQueue, type, values]);

  useEffect(() => {
    if (!touched) return;
    let stale = false;
    const timer = setTimeout(() => {
      const built = build();
      const fail = (message: string) => {
        if (!stale) setCheck({ state: "error", message, field: raw || !type ? undefined : fieldOf(type, message) });
      };
      if ("error" in built) {
        fail(built.error);
        return;
      }
      void (async () => {
        try {
          for (const job of built.jobs.slice(0, CHECK_AT_MOST)) {
            await api.checkJob(built.queue, { ...job, opts: built.opts });
          }
          if (!stale) setCheck({ state: "ok" });
        } catch (e) {
          fail((e as Error).message);
        }
      })();
    }, CHECK_AFTER_MS);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [api, build, raw, touched, type]);

  const submit = async () => {
    setError(null);
    setAdded([]);
    const built = build();
    if ("error" in built) {
      setError(built.error);
      return;
    }
    const { queue, jobs, opts } = built;
    setBusy(true);
    const done: AddedJob[] = [];
    try {
      for (const job of jobs) done.push(await api.addJob(queue, { ...job, opts }));
    } catch (e) {
      setError(done.length > 0 ? `${done.length} added, then: ${(e as Error).message}` : (e as Error).message);
    } finally {
      setBusy(false);
      setAdded(done);
      await client.invalidateQueries({ queryKey: ["queues"] });
    }
  };

  return (
    <main className="page" aria-labelledby="page-title">
      <h1 id="page-title">Add job</h1>
      <form
        className="form"
        onChange={() => setTouched(true)}
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
        onKeyDown={(e) => {
          if (e.key === "Enter" && e.ctrlKey) void submit();
        }}
      >
        <div className="segmented" role="group" aria-label="Editor">
          <button type="button" aria-pressed={!raw} onClick={() => setRaw(false)}>Form</button>
          <button type="button" aria-pressed={raw} onClick={() => setRaw(true)}>JSON</button>
        </div>
        {raw ? (
          <>
            <label>
              Queue
              <input list="queue-names" value={rawQueue} onChange={(e) => setRawQueue(e.target.value)} required />
              <datalist id="queue-names">
                {queues.data?.map((q) => <option key={q.name} value={q.name} />)}
              </datalist>
            </label>
            <label>
              Job name <input value={rawName} onChange={(e) => setRawName(e.target.value)} required placeholder="product-scraping" />
            </label>
            <label>
              Data (JSON object)
              <textarea className="code" rows={10} value={rawData} onChange={(e) => setRawData(e.target.value)} />
            </label>
          </>
        ) : (
          <>
            <label>
              Job type
              <select
                value={typeIndex}
                onChange={(e) => {
                  const i = Number(e.target.value);
                  setTypeIndex(i);
                  const t = JOB_TYPES[i];
                  if (t) setValues(initialValues(t));
                }}
              >
                {JOB_TYPES.map((t, i) => (
                  <option key={t.name} value={i}>{t.label} ({t.queue})</option>
                ))}
              </select>
            </label>
            {type?.fields.map((f) => (
              <FieldInput key={keyOf(f)} field={f} value={values[keyOf(f)] ?? ""}
                error={check.state === "error" && check.field === keyOf(f) ? check.message : undefined}
                onChange={(v) => setValues({ ...values, [keyOf(f)]: v })} />
            ))}
          </>
        )}
        <fieldset>
          <legend>Options</legend>
          <label>
            Priority
            <select value={options.priority} onChange={(e) => setOptions({ ...options, priority: e.target.value })}>
              <option value="">queue default (normal)</option>
              {PRIORITIES.map((p) => <option key={p} value={p}>{p}</option>)}
            </select>
          </label>
          <label>
            Delay (seconds) <input inputMode="decimal" value={options.delaySeconds} onChange={(e) => setOptions({ ...options, delaySeconds: e.target.value })} />
          </label>
          <label>
            Attempts <input inputMode="numeric" value={options.attempts} onChange={(e) => setOptions({ ...options, attempts: e.target.value })} placeholder="queue default" />
          </label>
          <label>
            Backoff
            <select value={options.backoff} onChange={(e) => setOptions({ ...options, backoff: e.target.value })}>
              <option value="">queue default</option>
              <option value="fixed">fixed</option>
              <option value="exponential">exponential</option>
            </select>
          </label>
          {options.backoff !== "" && (
            <label>
              Backoff delay (ms) <input inputMode="numeric" value={options.backoffMs} onChange={(e) => setOptions({ ...options, backoffMs: e.target.value })} />
            </label>
          )}
        </fieldset>
        {check.state === "error" && check.field === undefined && (
          <p className="error" data-testid="check-error" id="check-error">{check.message}</p>
        )}
        <p className="small muted" role="status" data-testid="check-state">
          {check.state === "ok" ? "✓ Antrian accepts this job." : ""}
        </p>
        {error !== null && <p className="error" role="alert" data-testid="add-error">{error}</p>}
        <button type="submit" className="primary" disabled={busy}>{busy ? "Adding…" : "Add job"}</button>
      </form>
      {added.length > 0 && (
        <section className="card" data-testid="added">
          <h2>Added {added.length === 1 ? "1 job" : `${added.length} jobs`}</h2>
          <ul>
            {added.map((a) => (
              <li key={a.id}>
                <a href={link("queues", [a.queue, "jobs", a.id])}>{a.name} #{a.id}</a> in {a.queue}
                {a.duplicate && <span className="muted"> (a job with this id already existed; nothing was added)</span>}
              </li>
            ))}
          </ul>
        </section>
      )}
    </main>
  );
}

function FieldInput({ field, value, error, onChange }: { field: Field; value: string | boolean; error: string | undefined; onChange(v: string | boolean): void }) {
  const text = typeof value === "string" ? value : "";
  const errorId = `error-${keyOf(field)}`;
  const invalid = error === undefined ? {} : { "aria-invalid": true, "aria-describedby": errorId };
  if (field.kind === "checkbox") {
    return (
      <label className="check">
        <input type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} /> {field.label}
      </label>
    );
  }
  const multi = field.kind === "urls" || field.kind === "list" || field.kind === "json";
  return (
    <label>
      {field.label}
      {field.required && <span aria-hidden="true"> *</span>}
      {multi ? (
        <textarea className={field.kind === "json" ? "code" : undefined} rows={field.kind === "json" ? 6 : 4}
          value={text} placeholder={field.placeholder} onChange={(e) => onChange(e.target.value)} {...invalid} />
      ) : (
        <input type={field.kind === "date" ? "date" : field.kind === "url" ? "url" : "text"}
          inputMode={field.kind === "number" ? "numeric" : undefined}
          value={text} placeholder={field.placeholder} required={field.required} onChange={(e) => onChange(e.target.value)} {...invalid} />
      )}
      {error !== undefined && <span className="error small" id={errorId}>{error}</span>}
    </label>
  );
}
