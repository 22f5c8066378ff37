import { useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";

import type {
  AlertKind,
  AlertPrefs,
  ConnectionInput,
  ConnectionTest,
  DashboardSettings,
  DesktopApi,
  HttpTargetInput,
  SavedConnection,
} from "../api";
import { useToast } from "../components/Toasts";
import { useQueues } from "../hooks/queries";

/** The alert kinds, in the order the form lists them. */
export const KINDS: [AlertKind, string][] = [
  ["failures", "Jobs that fail for good (grouped by queue, job, error and site)"],
  ["connection", "Redis connection lost and regained"],
  ["health", "Health degraded (eviction policy, memory near its limit, slow Redis)"],
  ["schedules", "Condition-based schedules firing"],
  ["nodes", "Worker nodes that stop reporting"],
];

/** Settings only the desktop app has: notifications, the tray, saved connections. */
export function DesktopSettings({ desktop }: { desktop: DesktopApi }) {
  return (
    <>
      <Connections desktop={desktop} />
      <Dashboard desktop={desktop} />
      <HttpTargets desktop={desktop} />
      <Notifications desktop={desktop} />
      <Tray desktop={desktop} />
    </>
  );
}

function Notifications({ desktop }: { desktop: DesktopApi }) {
  const prefs = useQuery({ queryKey: ["desktop", "prefs"], queryFn: () => desktop.getNotificationPrefs() });
  const queues = useQueues();
  const toast = useToast();
  const client = useQueryClient();
  // The saved preferences until the user changes something.
  const [edited, setEdited] = useState<AlertPrefs | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (prefs.isError) return <p className="error">{prefs.error.message}</p>;
  const draft = edited ?? prefs.data;
  if (!draft) return null;
  const set = (change: Partial<AlertPrefs>) => setEdited({ ...draft, ...change });
  const toggle = <T,>(list: T[], item: T, on: boolean) => (on ? [...list, item] : list.filter((x) => x !== item));
  const queueNames = [...new Set([...(queues.data?.map((q) => q.name) ?? []), ...draft.mutedQueues])];
  const save = async () => {
    setError(null);
    try {
      client.setQueryData(["desktop", "prefs"], await desktop.saveNotificationPrefs(draft));
      setEdited(null);
      toast("Notification preferences saved");
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <form
      className="card form"
      aria-labelledby="notifications-title"
      // Core checks the values and names the bad field; the browser's own checks would
      // only stop the form silently.
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <h2 id="notifications-title">Notifications</h2>
      <label className="check">
        <input type="checkbox" checked={draft.enabled} onChange={(e) => set({ enabled: e.target.checked })} />
        Show OS notifications
      </label>
      <fieldset disabled={!draft.enabled}>
        <legend>Notify about</legend>
        {KINDS.map(([kind, label]) => (
          <label key={kind} className="check">
            <input
              type="checkbox"
              checked={draft.kinds.includes(kind)}
              onChange={(e) => set({ kinds: toggle(draft.kinds, kind, e.target.checked) })}
            />
            {label}
          </label>
        ))}
      </fieldset>
      <label>
        Group repeated failures for (seconds)
        <input
          type="number"
          min={1}
          max={86400}
          value={draft.cooldownSecs}
          onChange={(e) => set({ cooldownSecs: Number(e.target.value) })}
        />
        <small className="muted">
          The first failure of a group notifies at once; more within this time arrive as one summary.
        </small>
      </label>
      <label className="check">
        <input
          type="checkbox"
          checked={draft.quietHours !== null}
          onChange={(e) => set({ quietHours: e.target.checked ? { start: "22:00", end: "07:00" } : null })}
        />
        Quiet hours
      </label>
      {draft.quietHours && (
        <div className="row">
          <label>
            From
            <input
              type="time"
              value={draft.quietHours.start}
              onChange={(e) => set({ quietHours: { start: e.target.value, end: draft.quietHours?.end ?? "07:00" } })}
            />
          </label>
          <label>
            until
            <input
              type="time"
              value={draft.quietHours.end}
              onChange={(e) => set({ quietHours: { start: draft.quietHours?.start ?? "22:00", end: e.target.value } })}
            />
          </label>
        </div>
      )}
      {queueNames.length > 0 && (
        <fieldset>
          <legend>Mute queues</legend>
          {queueNames.map((q) => (
            <label key={q} className="check">
              <input
                type="checkbox"
                checked={draft.mutedQueues.includes(q)}
                onChange={(e) => set({ mutedQueues: toggle(draft.mutedQueues, q, e.target.checked) })}
              />
              {q}
            </label>
          ))}
        </fieldset>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit">Save notification preferences</button>
    </form>
  );
}

/**
 * The HTTP dashboard this app serves (the seed's API on :3001, its `curl` commands): where
 * it is, how to sign in, and its settings. Core checks the settings; its message shows here.
 */
function Dashboard({ desktop }: { desktop: DesktopApi }) {
  const client = useQueryClient();
  const toast = useToast();
  const status = useQuery({ queryKey: ["desktop", "dashboard"], queryFn: () => desktop.getDashboard() });
  const [draft, setDraft] = useState<DashboardSettings | null>(null);
  const [password, setPassword] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const s = status.data;
  const form = draft ?? s?.settings ?? null;
  const change = (patch: Partial<DashboardSettings>) => form && setDraft({ ...form, ...patch });
  const save = async () => {
    if (form === null || busy) return;
    setBusy(true);
    setError(null);
    try {
      const now = await desktop.saveDashboard(form);
      client.setQueryData(["desktop", "dashboard"], now);
      setDraft(null);
      toast(now.url ? `The dashboard is at ${now.url}` : now.error ?? "The dashboard is off");
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const reveal = async () => {
    try {
      setPassword(await desktop.getDashboardPassword());
    } catch (e) {
      toast((e as Error).message, "error");
    }
  };
  const copy = async () => {
    try {
      const p = password ?? (await desktop.getDashboardPassword());
      await navigator.clipboard.writeText(`${s?.settings.username ?? "admin"}:${p}`);
      toast("Copied user:password");
    } catch (e) {
      toast(`Cannot copy: ${(e as Error).message}`, "error");
    }
  };
  return (
    <section className="card form" aria-labelledby="dashboard-title">
      <h2 id="dashboard-title">HTTP dashboard</h2>
      {status.isError && <p className="error" role="alert">{status.error.message}</p>}
      {s && (
        <div data-testid="dashboard-status">
          {s.url !== null ? (
            <p>
              Serving at <a href={s.url} target="_blank" rel="noreferrer" data-testid="dashboard-url">{s.url}</a>{" "}
              — sign in as <code>{s.settings.username}</code>; the password is kept in{" "}
              {s.passwordStore === "keyring" ? "the OS keyring" : s.passwordStore}. Scripts and the seed&apos;s{" "}
              <code>curl</code> commands reach Antrian here.
            </p>
          ) : s.error !== null ? (
            <p className="error" role="alert">The dashboard is not running: {s.error}. Antrian keeps running; change the port below.</p>
          ) : (
            <p className="muted">The dashboard is off.</p>
          )}
          <div className="actions">
            <button type="button" onClick={() => void reveal()}>Show password</button>
            <button type="button" onClick={() => void copy()}>Copy user:password</button>
            {password !== null && <code data-testid="dashboard-password">{password}</code>}
          </div>
        </div>
      )}
      {form && (
        <form
          className="form"
          aria-label="Dashboard settings"
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <label className="check">
            <input type="checkbox" checked={form.enabled} onChange={(e) => change({ enabled: e.target.checked })} />
            Serve the HTTP dashboard
          </label>
          <label>
            Address
            <input value={form.host} onChange={(e) => change({ host: e.target.value })} />
          </label>
          <label>
            Port
            <input inputMode="numeric" value={String(form.port)}
              onChange={(e) => change({ port: Number(e.target.value.replace(/\D/g, "")) })} />
          </label>
          <label>
            User
            <input value={form.username} onChange={(e) => change({ username: e.target.value })} />
          </label>
          {error !== null && <p className="error" role="alert">{error}</p>}
          <button type="submit" disabled={busy}>Save dashboard settings</button>
        </form>
      )}
    </section>
  );
}

/**
 * HTTP targets: custom queues served by an endpoint with no code. Each job of the queue is
 * POSTed there as signed JSON; core checks every row, and saving restarts the pools.
 */
function HttpTargets({ desktop }: { desktop: DesktopApi }) {
  const client = useQueryClient();
  const toast = useToast();
  const view = useQuery({ queryKey: ["desktop", "http-targets"], queryFn: () => desktop.getHttpTargets() });
  const [rows, setRows] = useState<HttpTargetInput[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const shown = rows ?? view.data?.targets ?? [];
  const set = (i: number, patch: Partial<HttpTargetInput>) =>
    setRows(shown.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const save = async () => {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const now = await desktop.saveHttpTargets(shown);
      client.setQueryData(["desktop", "http-targets"], now);
      setRows(null);
      toast("HTTP targets saved; the pools restarted on them");
      await client.invalidateQueries({ queryKey: ["queues"] });
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card form" aria-labelledby="targets-title">
      <h2 id="targets-title">HTTP targets</h2>
      <p className="muted">
        A custom queue whose every job is POSTed to an endpoint as signed JSON
        (<code>{"{id, name, queue, data, attempt}"}</code>): a 2xx completes the job with the response as its result, a 4xx
        fails it with the response as the reason, a 5xx or a timeout retries it with its backoff.
      </p>
      {view.isError && <p className="error" role="alert">{view.error.message}</p>}
      {view.data?.configuredElsewhere && (
        <p className="hint">QUEUE_HTTP_TARGETS names targets itself; those are served, not this list.</p>
      )}
      <form
        className="form"
        aria-label="HTTP targets"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        {shown.map((r, i) => (
          <fieldset key={i} aria-label={`Target ${String(i + 1)}`}>
            <label>
              Queue
              <input value={r.queue} placeholder="partner-feed" onChange={(e) => set(i, { queue: e.target.value })} />
            </label>
            <label>
              URL
              <input value={r.url} placeholder="https://hooks.example/antrian" onChange={(e) => set(i, { url: e.target.value })} />
            </label>
            <button type="button" onClick={() => setRows(shown.filter((_, j) => j !== i))}>Remove</button>
          </fieldset>
        ))}
        <div className="actions">
          <button type="button" onClick={() => setRows([...shown, { queue: "", url: "" }])}>Add a target</button>
          <button type="submit" disabled={busy}>Save HTTP targets</button>
          <button type="button" onClick={() => {
            desktop.getSigningSecret().then(setSecret, (e: Error) => toast(e.message, "error"));
          }}>Show signing secret</button>
        </div>
        {view.data && <p className="muted">Signed with {view.data.signedWith}.</p>}
        {secret !== null && <code data-testid="signing-secret">{secret}</code>}
        {error !== null && <p className="error" role="alert">{error}</p>}
      </form>
    </section>
  );
}

function Tray({ desktop }: { desktop: DesktopApi }) {
  const client = useQueryClient();
  const toast = useToast();
  const on = useQuery({ queryKey: ["desktop", "tray"], queryFn: () => desktop.getCloseToTray() });
  return (
    <section className="card form" aria-labelledby="tray-title">
      <h2 id="tray-title">Window</h2>
      <label className="check">
        <input
          type="checkbox"
          checked={on.data ?? false}
          disabled={on.data === undefined}
          onChange={(e) => {
            desktop.setCloseToTray(e.target.checked).then(
              (now) => {
                client.setQueryData(["desktop", "tray"], now);
                toast(now ? "Closing the window keeps Antrian in the tray" : "Closing the window quits Antrian");
              },
              (err: Error) => toast(err.message, "error"),
            );
          }}
        />
        Keep running in the tray when the window closes (workers and schedules go on)
      </label>
    </section>
  );
}

/** `input` with an optional field set, or left out when empty. */
function withField(input: ConnectionInput, key: "username" | "password", value: string): ConnectionInput {
  const { username, password, ...rest } = input;
  const kept = { username, password, [key]: value };
  return {
    ...rest,
    ...(kept.username ? { username: kept.username } : {}),
    ...(kept.password ? { password: kept.password } : {}),
  };
}

/** An empty editor, or one filled from a saved connection (never its password). */
function draftOf(c: SavedConnection | null): ConnectionInput {
  if (!c) return { name: "", url: "", tls: false };
  const tls = c.url.startsWith("rediss://");
  return { id: c.id, name: c.name, url: c.url.replace(/^rediss?:\/\//, ""), tls, ...(c.username ? { username: c.username } : {}) };
}

function Connections({ desktop }: { desktop: DesktopApi }) {
  const client = useQueryClient();
  const toast = useToast();
  const list = useQuery({ queryKey: ["desktop", "connections"], queryFn: () => desktop.listConnections() });
  const [editing, setEditing] = useState<ConnectionInput | null>(null);
  const [hasPassword, setHasPassword] = useState(false);
  const [tested, setTested] = useState<ConnectionTest | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const reload = () => client.invalidateQueries({ queryKey: ["desktop", "connections"] });
  const edit = (c: SavedConnection | null) => {
    setEditing(draftOf(c));
    setHasPassword(c?.hasPassword ?? false);
    setTested(null);
    setError(null);
  };
  const attempt = async (what: () => Promise<void>) => {
    setError(null);
    setBusy(true);
    try {
      await what();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const use = (c: SavedConnection | null) =>
    attempt(async () => {
      toast(`Switching to ${c?.name ?? "the default connection"}: workers drain first…`);
      await desktop.useConnection(c?.id ?? null);
      await reload();
      await client.invalidateQueries();
      toast(`Using ${c?.name ?? "the default connection"}`);
    });
  const data = list.data;
  const store =
    data?.secretStore === "keyring"
      ? "Passwords are kept in the OS keyring."
      : `No OS keyring answered: passwords are kept in ${data?.secretStore ?? "a file"}, readable only by you.`;
  return (
    <section className="card form" aria-labelledby="connections-title">
      <h2 id="connections-title">Redis connections</h2>
      {list.isError && <p className="error">{list.error.message}</p>}
      {data?.overriddenBy && (
        <p className="warning" data-testid="connection-override">
          <code>{data.overriddenBy}</code> is set in the environment: it wins over the connection chosen here.
        </p>
      )}
      {data && (
        <ul className="connection-list" data-testid="connections">
          <li>
            <span>Default: the embedded Redis, unless the config file or <code>.env</code> names one</span>
            {data.active === null ? (
              <span className="badge badge-connected">in use</span>
            ) : (
              <button type="button" disabled={busy} onClick={() => void use(null)}>
                Use
              </button>
            )}
          </li>
          {data.connections.map((c) => (
            <li key={c.id} data-testid={`connection-${c.name}`}>
              <span>
                <strong>{c.name}</strong> <code>{c.url}</code>
                {c.username ? ` as ${c.username}` : ""}
                {c.hasPassword ? " · password saved" : ""}
              </span>
              {data.active === c.id ? (
                <span className="badge badge-connected">in use</span>
              ) : (
                <button type="button" disabled={busy} aria-label={`Use ${c.name}`} onClick={() => void use(c)}>
                  Use
                </button>
              )}
              <button type="button" aria-label={`Edit ${c.name}`} onClick={() => edit(c)}>
                Edit
              </button>
              {data.active !== c.id && (
                <button
                  type="button"
                  className="danger"
                  aria-label={`Remove ${c.name}`}
                  onClick={() =>
                    void attempt(async () => {
                      await desktop.removeConnection(c.id);
                      await reload();
                      toast(`${c.name} removed`);
                    })
                  }
                >
                  Remove
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {data && <p className="muted">{store}</p>}
      {!editing && (
        <button type="button" onClick={() => edit(null)}>
          Add a connection
        </button>
      )}
      {editing && (
        <form
          className="form"
          aria-label={editing.id ? `Edit ${editing.name}` : "New connection"}
          onSubmit={(e) => {
            e.preventDefault();
            void attempt(async () => {
              const saved = await desktop.saveConnection(editing);
              await reload();
              setEditing(null);
              toast(`${saved.name} saved`);
            });
          }}
        >
          <label>
            Name
            <input value={editing.name} onChange={(e) => setEditing({ ...editing, name: e.target.value })} />
          </label>
          <label>
            Server
            <input
              value={editing.url}
              placeholder="redis.example.com:6379 or redis://host:6379/0"
              aria-describedby="server-hint"
              onChange={(e) => setEditing({ ...editing, url: e.target.value })}
            />
          </label>
          <small id="server-hint" className="muted">
            For a Redis Cluster, list its nodes separated by commas (10.0.0.1:7000,10.0.0.2:7000); queues then use the prefix{" "}
            {"{bull}"}.
          </small>
          <label className="check">
            <input type="checkbox" checked={editing.tls} onChange={(e) => setEditing({ ...editing, tls: e.target.checked })} />
            TLS (rediss://)
          </label>
          <label>
            User name (ACL)
            <input
              value={editing.username ?? ""}
              autoComplete="off"
              onChange={(e) => setEditing(withField(editing, "username", e.target.value))}
            />
          </label>
          <label>
            Password
            <input
              type="password"
              autoComplete="new-password"
              value={editing.password ?? ""}
              placeholder={hasPassword ? "saved: leave empty to keep it" : "none"}
              onChange={(e) => setEditing(withField(editing, "password", e.target.value))}
            />
          </label>
          {tested && (
            <p className="ok" data-testid="connection-test">
              Connected to {tested.address}: Redis {tested.version}, PING {tested.latencyMs.toFixed(1)} ms
            </p>
          )}
          {error && (
            <p className="error" role="alert">
              {error}
            </p>
          )}
          <div className="actions">
            <button
              type="button"
              disabled={busy}
              onClick={() =>
                void attempt(async () => {
                  setTested(null);
                  setTested(await desktop.testConnection(editing));
                })
              }
            >
              Test connection
            </button>
            <button type="submit" disabled={busy}>
              Save
            </button>
            <button type="button" onClick={() => setEditing(null)}>
              Cancel
            </button>
          </div>
        </form>
      )}
      {!editing && error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
