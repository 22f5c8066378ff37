import { sections, type SectionId } from "../routes/sections";
import type { ConnectionState } from "../api";

interface Props {
  current: SectionId;
  connection: ConnectionState | "unknown";
}

/** The left navigation, with the connection as a dot beside the name. */
export function Sidebar({ current, connection }: Props) {
  return (
    <nav className="sidebar" aria-label="Sections">
      <div className="brand">
        <span className={`dot dot-${connection}`} aria-hidden="true" />
        Antrian
      </div>
      <ul>
        {sections.map((s) => (
          <li key={s.id}>
            <a href={`#/${s.id}`} aria-current={s.id === current ? "page" : undefined}>
              {s.label}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
