import { useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";

import { useApi, type Condition, type DynamicScheduleInput, type DynamicScheduleView, type JobOptionsInput } from "../api";
import { JobOptionsFields, optionsForm, toOptions, type OptionsForm } from "../components/JobOptionsFields";
import { dataOf, jobChoice, JobChoiceFields, type JobChoice } from "../components/JobChoice";
import { useJobTypes } from "../hooks/queries";
import { objectOf } from "../lib/schema";
import { Dialog } from "../components/Dialog";
import { Time } from "../components/Time";
import { useToast } from "../components/Toasts";
import { useAct } from "../hooks/useAct";
import { useNow } from "../hooks/useNow";
import { link } from "../hooks/useRoute";

/** Condition-based schedules: what they watch, what they add, when they last fired. */
export function DynamicSchedules() {
  const api = useApi();
  const list = useQuery({ queryKey: ["schedules", "dynamic"], queryFn: () => api.listDynamicSchedules() });
  const [removing, setRemoving] = useState<string | null>(null);
  const now = useNow();
  const act = useAct(["schedules", "dynamic"]);
  // A toggle shows its new state at once and holds it until the list is read again.
  const [toggled, setToggled] = useState<Record<string, boolean>>({});
  const toggle = async (name: string, on: boolean) => {
    setToggled((t) => ({ ...t, [name]: on }));
    await act(`${name} ${on ? "enabled" : "disabled"}`, () => api.setDynamicScheduleEnabled(name, on));
    setToggled((t) => Object.fromEntries(Object.entries(t).filter(([k]) => k !== name)));
  };
  // Which editor is open: a new schedule's, or an existing one's.
  const [editing, setEditing] = useState<DynamicScheduleView | "new" | null>(null);
  return (
    <section className="card">
      <header className="card-header">
        <h2>Condition-based schedules</h2>
        {editing === null && (
          <button type="button" onClick={() => setEditing("new")}>New condition-based schedule</button>
        )}
      </header>
      {editing !== null && (
        <DynamicEditor key={editing === "new" ? "" : editing.name}
          existing={editing === "new" ? undefined : editing} onDone={() => setEditing(null)} />
      )}
      {list.isError && <p className="error" role="alert">{list.error.message}</p>}
      {list.isPending && <p className="muted" role="status">Loading condition-based schedules…</p>}
      {list.data?.length === 0 && (
        <p className="muted" data-testid="no-dynamic">
          None yet. They add a job when a queue grows past a size, drains, fails too often or
          has no worker: “New condition-based schedule” above, <code>antrian schedules add-dynamic</code>{" "}
          or <code>POST /api/dynamic-schedules</code>.
        </p>
      )}
      {list.data && list.data.length > 0 && (
        <div className="table-wrap">
          <table className="table" data-testid="dynamic-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>When</th>
                <th>Adds</th>
                <th>Last fired</th>
                <th>Cooldown</th>
                <th>Enabled</th>
                <th><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((d) => (
                <tr key={d.name} data-testid={`dynamic-${d.name}`}>
                  <td className="nowrap"><strong>{d.name}</strong></td>
                  <td>
                    {d.description}
                    {d.state.lastValue !== null && <div className="muted">now: {d.state.lastValue}</div>}
                  </td>
                  <td>{d.action.jobName} in <a href={link("queues", [d.action.queueName])}>{d.action.queueName}</a></td>
                  <td>
                    <Time at={d.state.lastFired} />
                    {d.state.fireCount > 0 && <span className="muted"> ({d.state.fireCount} in all)</span>}
                  </td>
                  <td>
                    {d.cooldownUntil !== null && d.cooldownUntil > now ? (
                      <span>until <Time at={d.cooldownUntil} tense="future" /></span>
                    ) : (
                      <span className="muted">{d.cooldownSeconds} s</span>
                    )}
                  </td>
                  <td>
                    <input
                      type="checkbox"
                      checked={toggled[d.name] ?? d.enabled}
                      disabled={d.name in toggled}
                      aria-label={`${d.name} enabled`}
                      onChange={(e) => void toggle(d.name, e.target.checked)}
                    />
                  </td>
                  <td>
                    <div className="row-actions">
                      <button type="button" onClick={() => setEditing(d)} aria-label={`Edit ${d.name}`}>Edit</button>
                      <button type="button" className="danger" onClick={() => setRemoving(d.name)}>Delete</button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {removing !== null && (
        <Dialog title={`Delete ${removing}?`} confirm="Delete" danger onClose={() => setRemoving(null)}
          onConfirm={() => {
            const name = removing;
            setRemoving(null);
            void act(`${name} deleted`, () => api.removeDynamicSchedule(name));
          }}>
          <p>It stops watching its condition; jobs it already added stay.</p>
        </Dialog>
      )}
    </section>
  );
}

type Kind = Condition["type"];

const KINDS: { kind: Kind; label: string }[] = [
  { kind: "queue_size", label: "Queue size crosses a threshold" },
  { kind: "failure_rate", label: "Failure rate goes above a percentage" },
  { kind: "queue_drained", label: "Queue drains (has work, then none)" },
  { kind: "no_workers", label: "No worker consumes the queue" },
];

const OPERATORS = [">", ">=", "<", "<=", "=="] as const;

/** The editor's fields, as typed. */
export interface DynamicForm {
  name: string;
  kind: Kind;
  queueName: string;
  operator: (typeof OPERATORS)[number];
  threshold: string;
  windowSeconds: string;
  minJobs: string;
  forSeconds: string;
  cooldownSeconds: string;
  actionQueue: string;
  actionJob: string;
  jobData: string;
}

/** The seed's example: e-mail when the scraping queue backs up. */
const EXAMPLE: DynamicForm = {
  name: "high-queue-alert",
  kind: "queue_size",
  queueName: "scraping-queue",
  operator: ">",
  threshold: "50",
  windowSeconds: "300",
  minJobs: "5",
  forSeconds: "60",
  cooldownSeconds: "300",
  actionQueue: "notifications-queue",
  actionJob: "send-email",
  jobData: '{"to": "admin@example.com", "subject": "High Queue Alert", "template": "notice"}',
};

/**
 * What core's `addDynamicSchedule` takes, from the form; or the first field that is not
 * even a number or JSON (ranges and names are core's to check, and it says which).
 */
export function toInput(
  f: DynamicForm,
  job: { data?: Record<string, unknown>; options?: JobOptionsInput } = {},
): { input: DynamicScheduleInput } | { error: string } {
  const number = (label: string, raw: string): number | string => {
    const n = Number(raw.trim());
    return raw.trim() === "" || !Number.isFinite(n) ? `${label}: “${raw}” is not a number` : n;
  };
  const numbers: Record<string, number> = {};
  const needed: [string, string, string][] = [["cooldownSeconds", "Cooldown", f.cooldownSeconds]];
  if (f.kind === "queue_size") needed.push(["threshold", "Threshold", f.threshold]);
  if (f.kind === "failure_rate") {
    needed.push(["threshold", "Failure rate", f.threshold], ["windowSeconds", "Window", f.windowSeconds], ["minJobs", "At least", f.minJobs]);
  }
  if (f.kind === "no_workers") needed.push(["forSeconds", "For", f.forSeconds]);
  for (const [key, label, raw] of needed) {
    const n = number(label, raw);
    if (typeof n === "string") return { error: n };
    numbers[key] = n;
  }
  let jobData: unknown = job.data;
  if (jobData === undefined) {
    try {
      jobData = JSON.parse(f.jobData);
    } catch (e) {
      return { error: `Job data: not JSON (${(e as Error).message})` };
    }
  }
  const queueName = f.queueName.trim();
  const n = (key: string) => numbers[key] ?? 0;
  const condition: Condition =
    f.kind === "queue_size"
      ? { type: "queue_size", queueName, operator: f.operator, threshold: n("threshold") }
      : f.kind === "failure_rate"
        ? { type: "failure_rate", queueName, threshold: n("threshold"), windowSeconds: n("windowSeconds"), minJobs: n("minJobs") }
        : f.kind === "queue_drained"
          ? { type: "queue_drained", queueName }
          : { type: "no_workers", queueName, forSeconds: n("forSeconds") };
  return {
    input: {
      name: f.name.trim(),
      condition,
      action: {
        queueName: f.actionQueue.trim(),
        jobName: f.actionJob.trim(),
        jobData: jobData as Record<string, unknown>,
        options: job.options ?? {},
      },
      cooldownSeconds: n("cooldownSeconds"),
      enabled: true,
    },
  };
}

/** The form of an existing schedule, for its editor. */
function formOf(d: DynamicScheduleView): DynamicForm {
  const c = d.condition;
  const text = (n: number | undefined, fallback: string) => (n === undefined ? fallback : String(n));
  return {
    name: d.name,
    kind: c.type,
    queueName: c.queueName,
    operator: c.type === "queue_size" ? c.operator : EXAMPLE.operator,
    threshold: c.type === "queue_size" || c.type === "failure_rate" ? String(c.threshold) : EXAMPLE.threshold,
    windowSeconds: c.type === "failure_rate" ? text(c.windowSeconds, EXAMPLE.windowSeconds) : EXAMPLE.windowSeconds,
    minJobs: c.type === "failure_rate" ? text(c.minJobs, EXAMPLE.minJobs) : EXAMPLE.minJobs,
    forSeconds: c.type === "no_workers" ? text(c.forSeconds, EXAMPLE.forSeconds) : EXAMPLE.forSeconds,
    cooldownSeconds: String(d.cooldownSeconds),
    actionQueue: d.action.queueName,
    actionJob: d.action.jobName,
    jobData: JSON.stringify(d.action.jobData, null, 2),
  };
}

/**
 * The editor for a new condition-based schedule or an existing one (its name stays): a
 * condition, the job to add (a catalogue type with its data form and options, or any queue
 * and job name with JSON data), a cooldown.
 */
function DynamicEditor({ existing, onDone }: { existing?: DynamicScheduleView | undefined; onDone(): void }) {
  const api = useApi();
  const client = useQueryClient();
  const toast = useToast();
  const catalogue = useJobTypes();
  const [form, setForm] = useState<DynamicForm>(existing ? formOf(existing) : EXAMPLE);
  const [options, setOptions] = useState<OptionsForm>(optionsForm(existing?.action.options));
  const [job, setJob] = useState<JobChoice>(() =>
    jobChoice(form.actionQueue, form.actionJob, objectOf(form.jobData) ?? {}),
  );
  const [error, setError] = useState<string | null>(null);
  const set = (key: keyof DynamicForm) => (e: { target: { value: string } }) =>
    setForm({ ...form, [key]: e.target.value });
  const input = (key: keyof DynamicForm, label: string, extra: React.InputHTMLAttributes<HTMLInputElement> = {}) => (
    <label>
      {label}
      <input value={form[key]} onChange={set(key)} {...extra} />
    </label>
  );
  const save = async () => {
    let built: ReturnType<typeof toInput>;
    try {
      built = toInput(
        { ...form, actionQueue: job.queue, actionJob: job.name },
        { data: dataOf(job, catalogue.data), options: toOptions(options) },
      );
    } catch (e) {
      setError((e as Error).message);
      return;
    }
    if ("error" in built) {
      setError(built.error);
      return;
    }
    const { name, condition, action, cooldownSeconds } = built.input;
    try {
      if (existing) await api.updateDynamicSchedule(name, { condition, action, cooldownSeconds });
      else await api.addDynamicSchedule(built.input);
    } catch (e) {
      setError((e as Error).message);
      return;
    }
    toast(existing ? `${name} saved` : `${name} watches ${condition.queueName}`);
    await client.invalidateQueries({ queryKey: ["schedules", "dynamic"] });
    onDone();
  };
  return (
    <form
      className="form"
      aria-label={existing ? `Edit ${existing.name}` : "New condition-based schedule"}
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      {input("name", "Name", { required: true, readOnly: existing !== undefined })}
      <label>
        When
        <select value={form.kind} onChange={set("kind")}>
          {KINDS.map((k) => (
            <option key={k.kind} value={k.kind}>{k.label}</option>
          ))}
        </select>
      </label>
      <fieldset>
        <legend>Condition</legend>
        {input("queueName", "Queue watched", { required: true })}
        {form.kind === "queue_size" && (
          <>
            <label>
              Operator
              <select value={form.operator} onChange={set("operator")}>
                {OPERATORS.map((o) => (
                  <option key={o} value={o}>{o}</option>
                ))}
              </select>
            </label>
            {input("threshold", "Threshold (jobs waiting)", { inputMode: "numeric" })}
          </>
        )}
        {form.kind === "failure_rate" && (
          <>
            {input("threshold", "Failure rate above (%)", { inputMode: "decimal" })}
            {input("windowSeconds", "Window (seconds)", { inputMode: "numeric" })}
            {input("minJobs", "At least (finished jobs)", { inputMode: "numeric" })}
          </>
        )}
        {form.kind === "no_workers" && input("forSeconds", "For (seconds)", { inputMode: "numeric" })}
      </fieldset>
      <JobChoiceFields value={job} onChange={setJob} catalogue={catalogue.data} />
      {input("cooldownSeconds", "Cooldown (seconds)", { inputMode: "numeric" })}
      <JobOptionsFields value={options} onChange={setOptions} catalogue={catalogue.data} withJobId={false} />
      {error !== null && <p className="error" role="alert" data-testid="dynamic-error">{error}</p>}
      <div className="actions">
        <button type="button" onClick={onDone}>Cancel</button>
        <button type="submit" className="primary">Save</button>
      </div>
    </form>
  );
}
