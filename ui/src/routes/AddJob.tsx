import { useCallback, useEffect, useMemo, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";

import { useApi, type AddedJob, type JobOptionsInput, type JobType } from "../api";
import { EMPTY_OPTIONS, JobOptionsFields, toOptions, type OptionsForm } from "../components/JobOptionsFields";
import { SchemaForm } from "../components/SchemaForm";
import { useJobTypes, useQueues } from "../hooks/queries";
import { link, type Route } from "../hooks/useRoute";
import { buildData, FieldError, fieldOfMessage, fieldsOf, ruleOf, valuesOf, type JsonSchema, type Values } from "../lib/schema";

/** Jobs a live check sends to core at most (a pasted list of URLs makes one job each). */
const CHECK_AT_MOST = 20;
/** How long typing pauses before the form is checked. */
const CHECK_AFTER_MS = 300;

/** What the form would add, or why it cannot be read (and which field). */
type Built =
  | { queue: string; jobs: { name: string; data: Record<string, unknown> }[]; opts: JobOptionsInput }
  | { error: string; field: string | undefined };

/** The live check's verdict: nothing yet, core accepts it, or why not (and which field). */
type Check = { state: "idle" } | { state: "ok" } | { state: "error"; message: string; field: string | undefined };

const keyOf = (t: JobType) => `${t.queue}/${t.name}`;

/** Add a job: a form per job type of the catalogue, or raw JSON for any queue and job name. */
export function AddJob({ route }: { route: Route }) {
  const api = useApi();
  const client = useQueryClient();
  const queues = useQueues();
  const catalogue = useJobTypes();
  const types = useMemo(() => catalogue.data?.jobTypes ?? [], [catalogue.data]);
  const from = route.params.get("from");
  const fromQueue = route.params.get("queue") ?? "";
  const [chosen, setChosen] = useState<string | null>(null);
  const type = types.find((t) => keyOf(t) === chosen) ?? types.find((t) => t.queue === fromQueue) ?? types[0];
  const fields = useMemo(() => (type ? fieldsOf(type.schema as JsonSchema) : []), [type]);
  const [raw, setRaw] = useState(from !== null);
  const [values, setValues] = useState<Values>({});
  const [rawQueue, setRawQueue] = useState(fromQueue || "scraping-queue");
  const [rawName, setRawName] = useState("");
  const [rawData, setRawData] = useState("{}");
  const [options, setOptions] = useState<OptionsForm>(EMPTY_OPTIONS);
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

  const build = useCallback((): Built => {
    let opts: JobOptionsInput;
    try {
      opts = toOptions(options);
    } catch (e) {
      return { error: (e as Error).message, field: undefined };
    }
    if (raw) {
      let data: unknown;
      try {
        data = JSON.parse(rawData);
      } catch (e) {
        return { error: `Data: not JSON (${(e as Error).message})`, field: undefined };
      }
      if (typeof data !== "object" || data === null || Array.isArray(data)) return { error: "Data: must be a JSON object", field: undefined };
      return { queue: rawQueue.trim(), jobs: [{ name: rawName.trim(), data: data as Record<string, unknown> }], opts };
    }
    if (!type) return { error: "Choose a job type", field: undefined };
    try {
      const jobs = buildData(fields, values, type.oneJobPer).map((data) => ({ name: type.name, data }));
      return { queue: type.queue, jobs, opts };
    } catch (e) {
      return { error: (e as Error).message, field: e instanceof FieldError ? e.key : undefined };
    }
  }, [fields, options, raw, rawData, rawName, rawQueue, type, values]);

  useEffect(() => {
    if (!touched) return;
    let stale = false;
    const timer = setTimeout(() => {
      const built = build();
      const fail = (message: string, field?: string) => {
        if (!stale) setCheck({ state: "error", message, field: field ?? (raw ? undefined : fieldOfMessage(fields, message)) });
      };
      if ("error" in built) {
        fail(built.error, built.field);
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
  }, [api, build, fields, raw, touched]);

  const submit = async () => {
    if (busy) return;
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
      // Added: the form starts afresh, so a second click does not add the same jobs again.
      if (!raw) setValues({});
      setTouched(false);
      setCheck({ state: "idle" });
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
          <button type="button" aria-pressed={raw} onClick={() => {
            // An untouched JSON editor starts from the chosen job type and its example.
            if (!raw && type && rawName === "" && rawData.trim() === "{}") {
              setRawQueue(type.queue);
              setRawName(type.name);
              setRawData(JSON.stringify(type.example, null, 2));
            }
            setRaw(true);
          }}>JSON</button>
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
              Job name
              <input list="job-names" value={rawName} onChange={(e) => setRawName(e.target.value)} required placeholder="product-scraping" />
              <datalist id="job-names">
                {types.filter((t) => t.queue === rawQueue.trim()).map((t) => <option key={t.name} value={t.name} />)}
              </datalist>
            </label>
            <label>
              Data (JSON object)
              <textarea className="code" rows={10} value={rawData} onChange={(e) => setRawData(e.target.value)}
                placeholder={JSON.stringify(types.find((t) => t.queue === rawQueue.trim() && t.name === rawName.trim())?.example ?? {})} />
            </label>
          </>
        ) : (
          <>
            {catalogue.isError && <p className="error" role="alert">{catalogue.error.message}</p>}
            {catalogue.isPending && <p className="muted">Loading job types…</p>}
            {type && (
              <>
                <label>
                  Job type
                  <select
                    aria-label="Job type"
                    value={keyOf(type)}
                    onChange={(e) => {
                      setChosen(e.target.value);
                      setValues({});
                      setCheck({ state: "idle" });
                    }}
                  >
                    {types.map((t) => (
                      <option key={keyOf(t)} value={keyOf(t)}>{t.label} ({t.queue})</option>
                    ))}
                  </select>
                </label>
                <p className="small muted" data-testid="job-type-description">{type.description}</p>
                <SchemaForm
                  fields={fields}
                  values={{ ...valuesOf(fields, undefined), ...values }}
                  example={type.example}
                  onePerLine={type.oneJobPer}
                  error={check.state === "error" ? ruleOf(check.message) : undefined}
                  errorKey={check.state === "error" ? check.field : undefined}
                  onChange={(key, v) => setValues((old) => ({ ...old, [key]: v }))}
                />
              </>
            )}
          </>
        )}
        <JobOptionsFields value={options} onChange={setOptions} catalogue={catalogue.data} />
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
