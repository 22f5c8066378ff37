import type { Backoff, Catalogue, JobOptionsInput, Retention } from "../api";

/** The options fieldset as typed: text boxes hold what the user wrote. */
export interface OptionsForm {
  priority: string;
  delaySeconds: string;
  attempts: string;
  backoff: "" | Backoff["type"];
  backoffDelay: string;
  factor: string;
  maxDelay: string;
  increment: string;
  jobId: string;
  keepCompleted: string;
  keepFailed: string;
  lifo: boolean;
}

/**
 * Every backoff strategy core takes, with what it does. Keyed by the generated `Backoff`
 * type, so a strategy added in Rust fails the typecheck until it is offered here.
 */
const BACKOFFS: Record<Backoff["type"], string> = {
  fixed: "fixed: the same delay before every retry",
  exponential: "exponential: delay × factor per attempt, up to a cap",
  linear: "linear: delay + increment per attempt",
};

export const EMPTY_OPTIONS: OptionsForm = {
  priority: "",
  delaySeconds: "",
  attempts: "",
  backoff: "",
  backoffDelay: "",
  factor: "",
  maxDelay: "",
  increment: "",
  jobId: "",
  keepCompleted: "",
  keepFailed: "",
  lifo: false,
};

const text = (n: number | undefined) => (n === undefined ? "" : String(n));

function keep(r: Retention | undefined): string {
  if (typeof r === "number") return String(r);
  if (r === true) return "0";
  if (typeof r === "object") return text(r.count);
  return "";
}

/** The form for options already given (a schedule's, when it is edited). */
export function optionsForm(o: JobOptionsInput | undefined): OptionsForm {
  if (!o) return EMPTY_OPTIONS;
  const b = o.backoff;
  return {
    priority: o.priority === undefined ? "" : String(o.priority),
    delaySeconds: o.delay === undefined ? "" : String(o.delay / 1000),
    attempts: text(o.attempts),
    backoff: b?.type ?? "",
    backoffDelay: text(b?.delay),
    factor: b?.type === "exponential" ? text(b.factor) : "",
    maxDelay: b?.type === "exponential" ? text(b.maxDelay) : "",
    increment: b?.type === "linear" ? text(b.increment) : "",
    jobId: o.jobId ?? "",
    keepCompleted: keep(o.removeOnComplete),
    keepFailed: keep(o.removeOnFail),
    lifo: o.lifo === true,
  };
}

/**
 * Core's job options from the fieldset; empty boxes are left out (the queue's defaults
 * apply). Throws an Error naming the box whose text is not a number; ranges are core's
 * to check, and it names the option.
 */
export function toOptions(f: OptionsForm): JobOptionsInput {
  const number = (label: string, raw: string): number | undefined => {
    const t = raw.trim();
    if (t === "") return undefined;
    const n = Number(t);
    if (!Number.isFinite(n)) throw new Error(`${label}: “${t}” is not a number`);
    return n;
  };
  const opts: JobOptionsInput = {};
  if (f.priority !== "") opts.priority = /^\d+$/.test(f.priority) ? Number(f.priority) : f.priority;
  const delay = number("Delay", f.delaySeconds);
  if (delay !== undefined) opts.delay = Math.round(delay * 1000);
  const attempts = number("Attempts", f.attempts);
  if (attempts !== undefined) opts.attempts = attempts;
  if (f.backoff !== "") {
    const d = number("Backoff delay", f.backoffDelay) ?? 0;
    if (f.backoff === "fixed") opts.backoff = { type: "fixed", delay: d };
    else if (f.backoff === "linear") opts.backoff = { type: "linear", delay: d, increment: number("Increment", f.increment) ?? 0 };
    else {
      const backoff: Backoff = { type: "exponential", delay: d };
      const factor = number("Factor", f.factor);
      const maxDelay = number("Max delay", f.maxDelay);
      if (factor !== undefined) backoff.factor = factor;
      if (maxDelay !== undefined) backoff.maxDelay = maxDelay;
      opts.backoff = backoff;
    }
  }
  if (f.jobId.trim() !== "") opts.jobId = f.jobId.trim();
  const completed = number("Keep completed", f.keepCompleted);
  if (completed !== undefined) opts.removeOnComplete = completed;
  const failed = number("Keep failed", f.keepFailed);
  if (failed !== undefined) opts.removeOnFail = failed;
  if (f.lifo) opts.lifo = true;
  return opts;
}

/**
 * Job options: the seed's priority levels, delay, attempts, the three backoff strategies
 * with their parameters, a custom id and what to keep. Choices and defaults come from the
 * catalogue (Rust); `withJobId` is off for schedules, whose runs get their own ids.
 */
export function JobOptionsFields({ value, onChange, catalogue, withJobId = true }: {
  value: OptionsForm;
  onChange(v: OptionsForm): void;
  catalogue: Catalogue | undefined;
  withJobId?: boolean;
}) {
  const set = <K extends keyof OptionsForm>(key: K, v: OptionsForm[K]) => onChange({ ...value, [key]: v });
  const input = (key: Exclude<keyof OptionsForm, "backoff" | "lifo">, label: string, placeholder = "", mode: "decimal" | "numeric" = "numeric") => (
    <label>
      {label}
      <input inputMode={mode} value={value[key]} placeholder={placeholder} onChange={(e) => set(key, e.target.value)} />
    </label>
  );
  const d = catalogue?.defaults;
  return (
    <fieldset className="options">
      <legend>Job options</legend>
      <label>
        Priority
        <select aria-label="Priority" value={value.priority} onChange={(e) => set("priority", e.target.value)}>
          <option value="">queue default (normal)</option>
          {catalogue?.priorities.map((p) => (
            <option key={p.name} value={p.name}>{p.name} ({p.number})</option>
          ))}
        </select>
      </label>
      {input("delaySeconds", "Delay (seconds)", "run at once", "decimal")}
      {input("attempts", "Attempts", d ? `queue default (${d.attempts})` : "queue default")}
      <label>
        Backoff
        <select aria-label="Backoff" value={value.backoff} onChange={(e) => set("backoff", e.target.value as OptionsForm["backoff"])}>
          <option value="">{d ? `queue default (fixed, ${d.backoffDelayMs} ms)` : "queue default"}</option>
          {(Object.keys(BACKOFFS) as Backoff["type"][]).map((t) => (
            <option key={t} value={t}>{BACKOFFS[t]}</option>
          ))}
        </select>
      </label>
      {value.backoff !== "" && input("backoffDelay", "Backoff delay (ms)", "2000")}
      {value.backoff === "exponential" && (
        <>
          {input("factor", "Factor", "2", "decimal")}
          {input("maxDelay", "Max delay (ms)", "no cap")}
        </>
      )}
      {value.backoff === "linear" && input("increment", "Increment (ms per attempt)", "1000")}
      {withJobId && (
        <label>
          Job id
          <input value={value.jobId} placeholder="assigned by the queue" onChange={(e) => set("jobId", e.target.value)} />
        </label>
      )}
      {input("keepCompleted", "Keep completed (jobs)", d ? `queue default (${d.keepCompleted})` : "")}
      {input("keepFailed", "Keep failed (jobs)", d ? `queue default (${d.keepFailed})` : "")}
      <label className="check">
        <input type="checkbox" checked={value.lifo} onChange={(e) => set("lifo", e.target.checked)} /> Before older jobs of the same priority (LIFO)
      </label>
    </fieldset>
  );
}
