import { sections, type SectionId } from "../routes/sections";
import type { ConnectionState } from "../api";
import type { Theme } from "../hooks/useTheme";

interface Props {
  current: SectionId;
  connection: ConnectionState | "unknown";
  theme: Theme;
  live: boolean;
  onLive(on: boolean): void;
  onTheme(theme: Theme): void;
}

const STATE_WORDS: Record<ConnectionState | "unknown", string> = {
  connected: "Connected",
  connecting: "Connecting…",
  disconnected: "Disconnected",
  failed: "Cannot connect",
  unknown: "Checking…",
};

/** The left navigation, with the connection (Redis and the backend) beside the name. */
export function Sidebar({ current, connection, theme, live, onLive, onTheme }: Props) {
  return (
    <nav className="sidebar" aria-label="Sections">
      <div className="brand">
        <span className={`dot dot-${connection}`} aria-hidden="true" />
        Antrian
      </div>
      <p className={`conn-state conn-${connection}`} data-testid="sidebar-connection" role="status">
        {STATE_WORDS[connection]}
      </p>
      <ul>
        {sections.map((s) => (
          <li key={s.id}>
            <a href={`#/${s.id}`} aria-current={s.id === current ? "page" : undefined}>
              {s.label}
            </a>
          </li>
        ))}
      </ul>
      <div className="sidebar-foot">
        <label>
          Updates{" "}
          <select value={live ? "live" : "off"} onChange={(e) => onLive(e.target.value === "live")}>
            <option value="live">live</option>
            <option value="off">off (r refreshes)</option>
          </select>
        </label>
        <label>
          Theme{" "}
          <select value={theme} onChange={(e) => onTheme(e.target.value as Theme)}>
            <option value="system">system</option>
            <option value="light">light</option>
            <option value="dark">dark</option>
          </select>
        </label>
        <p className="muted small">Press ? for shortcuts</p>
      </div>
    </nav>
  );
}
