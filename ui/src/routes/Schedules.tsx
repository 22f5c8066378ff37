import { useEffect, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";

import { useApi, type Overlap, type Preview, type ScheduleInput, type ScheduleUpdate, type ScheduleView } from "../api";
import { JobOptionsFields, optionsForm, toOptions, type OptionsForm } from "../components/JobOptionsFields";
import { dataOf, jobChoice, JobChoiceFields, type JobChoice } from "../components/JobChoice";
import { Dialog } from "../components/Dialog";
import { Time } from "../components/Time";
import { formatAbsolute } from "../lib/format";
import { useToast } from "../components/Toasts";
import { useJobTypes, useSchedules } from "../hooks/queries";
import { useAct } from "../hooks/useAct";
import { link } from "../hooks/useRoute";
import { DynamicSchedules } from "./DynamicSchedules";

/** Cron schedules: each with its sentence, zone, next and last run; and an editor. */
export function Schedules() {
  const api = useApi();
  const schedules = useSchedules();
  // Which editor is open: a new schedule's, or an existing one's.
  const [editing, setEditing] = useState<ScheduleView | "new" | null>(null);
  const [removing, setRemoving] = useState<string | null>(null);
  // A toggle shows its new state at once and holds it until the schedule is read again.
  const [toggled, setToggled] = useState<Record<string, boolean>>({});
  const toggle = async (name: string, on: boolean) => {
    setToggled((t) => ({ ...t, [name]: on }));
    await act(`${name} ${on ? "enabled" : "disabled"}`, () =>
      on ? api.enableSchedule(name) : api.disableSchedule(name),
    );
    setToggled((t) => Object.fromEntries(Object.entries(t).filter(([k]) => k !== name)));
  };
  const act = useAct(["schedules"]);
  return (
    <main className="page wide" aria-labelledby="page-title">
      <header className="page-header">
        <h1 id="page-title">Schedules</h1>
        <button type="button" className="primary" onClick={() => setEditing("new")}>New schedule</button>
      </header>
      {editing !== null && (
        <ScheduleEditor
          key={editing === "new" ? "" : editing.name}
          existing={editing === "new" ? undefined : editing}
          onDone={() => setEditing(null)}
        />
      )}
      {schedules.isError && <p className="error" role="alert">{schedules.error.message}</p>}
      {schedules.isPending && <p className="muted" role="status">Loading schedules…</p>}
      {schedules.data?.length === 0 && editing === null && (
        <p className="muted" data-testid="no-schedules">
          No schedules yet. “New schedule” adds one (a cron expression, a queue and a job), or
          <code> antrian schedules add</code> from a terminal.
        </p>
      )}
      {schedules.data && schedules.data.length > 0 && (
        <div className="table-wrap">
          <table className="table" data-testid="schedule-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Queue · job</th>
                <th>When</th>
                <th>Next run</th>
                <th>Recent runs</th>
                <th>Enabled</th>
                <th><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody>
              {schedules.data.map((s) => (
                <tr key={s.name} data-testid={`schedule-${s.name}`}>
                  <td className="nowrap"><strong>{s.name}</strong></td>
                  <td className="nowrap wrap-narrow">
                    <a href={link("queues", [s.queueName])}>{s.queueName}</a> · {s.jobName}
                  </td>
                  <td>
                    <span title={`${s.schedule} (${s.timezone})`}>{s.description}</span>{" "}
                    <span className="muted small">{s.timezone}</span>{" "}
                    <span className="muted small" data-testid="overlap" title={OVERLAPS[s.overlap]}>
                      · {s.overlap === "skip" ? "skips a run while one is due" : "runs may overlap"}
                    </span>
                  </td>
                  <td><Time at={s.enabled ? s.nextRun : null} tense="future" /></td>
                  <td className="nowrap"><RecentRuns schedule={s} /></td>
                  <td>
                    <label className="switch">
                      <input
                        type="checkbox"
                        checked={toggled[s.name] ?? s.enabled}
                        disabled={s.name in toggled}
                        aria-label={`${s.name} enabled`}
                        onChange={(e) => void toggle(s.name, e.target.checked)}
                      />
                    </label>
                  </td>
                  <td>
                    <div className="row-actions">
                      <button type="button" onClick={() => void act(`${s.name}: a run was added`, () => api.runSchedule(s.name))}>Run now</button>
                      <button type="button" onClick={() => setEditing(s)} aria-label={`Edit ${s.name}`}>Edit</button>
                      <button type="button" className="danger" onClick={() => setRemoving(s.name)}>Delete</button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <DynamicSchedules />
      {removing !== null && (
        <Dialog title={`Delete ${removing}?`} confirm="Delete" danger onClose={() => setRemoving(null)}
          onConfirm={() => {
            const name = removing;
            setRemoving(null);
            void act(`${name} deleted`, () => api.removeSchedule(name));
          }}>
          <p>It stops firing and its definition is removed. Jobs it already added stay.</p>
        </Dialog>
      )}
    </main>
  );
}

/**
 * The latest run's time, then one mark per recent run (oldest first), coloured by how it
 * ended, each a link to its job.
 */
function RecentRuns({ schedule }: { schedule: ScheduleView }) {
  const runs = schedule.recentRuns;
  const last = runs[0];
  if (!last) return <span className="muted">never run</span>;
  return (
    <span className="runs" data-testid="recent-runs">
      <Time at={last.firedAt} />{" "}
      {[...runs].reverse().map((r) => {
        const said = `run ${r.jobId}: ${r.outcome}, ${formatAbsolute(r.firedAt)}${r.reason ? ` (${r.reason})` : ""}`;
        return (
          <a
            key={r.jobId}
            className={`mark mark-${r.outcome}`}
            href={link("queues", [schedule.queueName, "jobs", r.jobId])}
            title={said}
            aria-label={said}
          />
        );
      })}
    </span>
  );
}

/** What each overlap policy does; keyed by the generated type, so none is missed. */
const OVERLAPS: Record<Overlap, string> = {
  allow: "run anyway",
  skip: "skip the run while the previous one waits or runs",
};

/** A time as a `datetime-local` input holds it (this machine's zone), or "". */
function localInput(ms: number | null): string {
  if (ms === null) return "";
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A `datetime-local` value as milliseconds since the epoch, or null when empty. */
function fromLocalInput(label: string, text: string): number | null {
  if (text.trim() === "") return null;
  const ms = new Date(text).getTime();
  if (!Number.isFinite(ms)) throw new Error(`${label}: “${text}” is not a date and time`);
  return ms;
}

/**
 * The editor for a new schedule or an existing one (its name stays; the rest changes in
 * place and its next run is recomputed), with the next 5 runs previewed as you type. Every
 * field the API takes: the job from the catalogue with its data form (or any queue and job
 * name with JSON data), job options, start and end, run limit, overlap policy, enabled.
 */
function ScheduleEditor({ existing, onDone }: { existing?: ScheduleView | undefined; onDone(): void }) {
  const api = useApi();
  const client = useQueryClient();
  const toast = useToast();
  const catalogue = useJobTypes();
  const [form, setForm] = useState(
    existing
      ? {
          name: existing.name,
          schedule: existing.schedule,
          timezone: existing.timezone,
          start: localInput(existing.startDate),
          end: localInput(existing.endDate),
          limit: existing.limit === null ? "" : String(existing.limit),
          overlap: existing.overlap,
          enabled: existing.enabled,
        }
      : {
          name: "",
          schedule: "0 2 * * *",
          timezone: "",
          start: "",
          end: "",
          limit: "",
          overlap: "allow" as Overlap,
          enabled: true,
        },
  );
  const [options, setOptions] = useState<OptionsForm>(optionsForm(existing?.options));
  const [job, setJob] = useState<JobChoice>(
    existing
      ? jobChoice(existing.queueName, existing.jobName, existing.jobData)
      : jobChoice("cleanup-queue", "cleanup-old-data", { collections: ["products"], olderThan: 30, dryRun: true }),
  );
  const [preview, setPreview] = useState<Preview | null>(null);
  const [previewError, setPreviewError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let stale = false;
    const timer = setTimeout(() => {
      api.previewCron(form.schedule, form.timezone.trim() || undefined).then(
        (p) => {
          if (stale) return;
          setPreview(p);
          setPreviewError(null);
        },
        (e: Error) => {
          if (stale) return;
          setPreview(null);
          setPreviewError(e.message);
        },
      );
    }, 250);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [api, form.schedule, form.timezone]);
  const field = (key: "name" | "schedule" | "timezone" | "limit", label: string, extra: Partial<React.InputHTMLAttributes<HTMLInputElement>> = {}) => (
    <label>
      {label}
      <input value={form[key]} onChange={(e) => setForm({ ...form, [key]: e.target.value })} {...extra} />
    </label>
  );
  const save = async () => {
    setError(null);
    let input: ScheduleInput;
    try {
      const limit = form.limit.trim() === "" ? undefined : Number(form.limit.trim());
      if (limit !== undefined && !Number.isInteger(limit)) throw new Error(`Run limit: “${form.limit}” is not a whole number`);
      const start = fromLocalInput("Start", form.start);
      const end = fromLocalInput("End", form.end);
      input = {
        name: form.name.trim(),
        schedule: form.schedule.trim(),
        queueName: job.queue.trim(),
        jobName: job.name.trim(),
        jobData: dataOf(job, catalogue.data),
        enabled: form.enabled,
        options: toOptions(options),
        overlap: form.overlap,
        ...(form.timezone.trim() ? { timezone: form.timezone.trim() } : {}),
        ...(start !== null ? { startDate: start } : {}),
        ...(end !== null ? { endDate: end } : {}),
        ...(limit !== undefined ? { limit } : {}),
      };
    } catch (e) {
      setError((e as Error).message);
      return;
    }
    try {
      if (existing) {
        const { name, ...rest } = input;
        // Cleared dates and limit are sent as null: the update clears them.
        const change: ScheduleUpdate = { ...rest, startDate: rest.startDate ?? null, endDate: rest.endDate ?? null, limit: rest.limit ?? null };
        await api.updateSchedule(name, change);
        toast(`${name} saved`);
      } else {
        await api.addSchedule(input);
        toast(`${input.name} scheduled`);
      }
      await client.invalidateQueries({ queryKey: ["schedules"] });
      onDone();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <form className="card form" aria-label={existing ? `Edit ${existing.name}` : "New schedule"}
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}>
      <h2>{existing ? `Edit ${existing.name}` : "New schedule"}</h2>
      {field("name", "Name", { required: true, placeholder: "daily-cleanup", readOnly: existing !== undefined })}
      {field("schedule", "Cron expression", { required: true, className: "code" })}
      {field("timezone", "Time zone (IANA)", { placeholder: "the scheduler's default" })}
      <div className="preview" data-testid="cron-preview" aria-live="polite">
        {previewError !== null ? (
          <p className="error">{previewError}</p>
        ) : preview ? (
          <>
            <p>{preview.description} <span className="muted">({preview.timezone})</span></p>
            <ol>
              {preview.times.map((t) => (
                <li key={t}>{inZone(t, preview.timezone)}</li>
              ))}
            </ol>
          </>
        ) : (
          <p className="muted">…</p>
        )}
      </div>
      <JobChoiceFields value={job} onChange={setJob} catalogue={catalogue.data} />
      <JobOptionsFields value={options} onChange={setOptions} catalogue={catalogue.data} withJobId={false} />
      <fieldset>
        <legend>When it may run</legend>
        <label>
          Start (no run before)
          <input type="datetime-local" value={form.start} onChange={(e) => setForm({ ...form, start: e.target.value })} />
        </label>
        <label>
          End (no run after)
          <input type="datetime-local" value={form.end} onChange={(e) => setForm({ ...form, end: e.target.value })} />
        </label>
        {field("limit", "Run limit (runs in all)", { inputMode: "numeric", placeholder: "no limit" })}
        <label>
          While the previous run is still going
          <select aria-label="While the previous run is still going" value={form.overlap} onChange={(e) => setForm({ ...form, overlap: e.target.value as Overlap })}>
            {(Object.keys(OVERLAPS) as Overlap[]).map((o) => (
              <option key={o} value={o}>{o}: {OVERLAPS[o]}</option>
            ))}
          </select>
        </label>
        <label className="check">
          <input type="checkbox" checked={form.enabled} onChange={(e) => setForm({ ...form, enabled: e.target.checked })} /> Enabled
        </label>
      </fieldset>
      {error !== null && <p className="error" role="alert" data-testid="schedule-error">{error}</p>}
      <div className="actions">
        <button type="button" onClick={onDone}>Cancel</button>
        <button type="submit" className="primary">Save</button>
      </div>
    </form>
  );
}

/** A fire time as the schedule's zone reads it ("11/29/2026, 2:30:00 AM GMT+7"). */
export function inZone(iso: string, timeZone: string): string {
  try {
    return new Date(iso).toLocaleString(undefined, { timeZone, timeZoneName: "short" });
  } catch {
    return new Date(iso).toLocaleString();
  }
}
