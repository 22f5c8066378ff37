import { useConnectionStatus } from "../hooks/useConnectionStatus";
import { live, useLive } from "../hooks/useLiveUpdates";
import { setTheme, useTheme, type Theme } from "../hooks/useTheme";
import { useApi } from "../api";
import { DesktopSettings } from "./DesktopSettings";

/** Appearance, live updates and the connection this window uses. */
export function Settings() {
  const api = useApi();
  const theme = useTheme();
  const on = useLive();
  const status = useConnectionStatus();
  return (
    <main className="page" aria-labelledby="page-title">
      <h1 id="page-title">Settings</h1>
      <section className="card form" aria-labelledby="appearance-title">
        <h2 id="appearance-title">Appearance and updates</h2>
        <label>
          Theme
          <select value={theme} onChange={(e) => setTheme(e.target.value as Theme)}>
            <option value="system">follow the system</option>
            <option value="light">light</option>
            <option value="dark">dark</option>
          </select>
        </label>
        <label>
          Updates
          <select value={on ? "live" : "off"} onChange={(e) => live.set(e.target.value === "live")}>
            <option value="live">live, from pushed events (at most once a second)</option>
            <option value="off">off: press r to refresh</option>
          </select>
        </label>
      </section>
      {api.desktop ? (
        <DesktopSettings desktop={api.desktop} />
      ) : (
        <p className="muted" data-testid="desktop-only">
          Saved connections, OS notifications and the tray are settings of the desktop app.
        </p>
      )}
      <section className="card" aria-labelledby="settings-connection-title">
        <h2 id="settings-connection-title">Connection</h2>
        <dl className="facts">
          <dt>Transport</dt>
          <dd data-testid="transport">{api.transport === "tauri" ? "desktop app" : "HTTP dashboard"}</dd>
          <dt>Redis</dt>
          <dd>{status.data ? `${status.data.address} (${status.data.mode})` : "—"}</dd>
        </dl>
        <p className="muted">
          Without a saved connection in use, Antrian uses its embedded Redis unless <code>REDIS_URL</code> (or <code>REDIS_HOST</code>,
          <code> REDIS_PORT</code>, <code>REDIS_PASSWORD</code>) is set in the environment, <code>.env</code> or
          the config file; <code>antrian config</code> lists every setting and where its value came from.
        </p>
      </section>
    </main>
  );
}
