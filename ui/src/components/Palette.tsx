import { useEffect, useRef, useState } from "react";

import { useQueues } from "../hooks/queries";
import { link } from "../hooks/useRoute";
import { sections } from "../routes/sections";

interface Command {
  label: string;
  href: string;
}

/** The job id typed into the palette (`42`, `job 42`, `repeat:nightly:1700000000000`), if any. */
export function typedJobId(text: string): string | null {
  const m = /^(?:job\s+)?(\S+)$/i.exec(text.trim());
  const id = m?.[1];
  return id !== undefined && /\d/.test(id) ? id : null;
}

/** Ctrl+K: go to any section, queue, job (by id) or the add-job form by typing. */
export function Palette({ onClose }: { onClose(): void }) {
  const queues = useQueues();
  const [text, setText] = useState("");
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  const id = typedJobId(text);
  const jobs: Command[] =
    id === null
      ? []
      : (queues.data ?? []).map((q) => ({ label: `Job ${id} in ${q.name}`, href: link("queues", [q.name, "jobs", id]) }));
  const commands: Command[] = [
    ...jobs,
    ...sections.map((s) => ({ label: `Go to ${s.label}`, href: `#/${s.id}` })),
    { label: "Add job", href: link("add-job") },
    ...(queues.data ?? []).flatMap((q) => [
      { label: `Queue ${q.name}`, href: link("queues", [q.name]) },
      { label: `Failed jobs of ${q.name}`, href: link("queues", [q.name], { state: "failed" }) },
    ]),
  ];
  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  const matches = commands.filter((c) => words.every((w) => c.label.toLowerCase().includes(w))).slice(0, 12);
  const go = (c: Command | undefined) => {
    if (!c) return;
    window.location.hash = c.href;
    onClose();
  };
  return (
    <div className="backdrop" onClick={onClose}>
      <div className="dialog palette" role="dialog" aria-modal="true" aria-label="Command palette" onClick={(e) => e.stopPropagation()}>
        <input
          ref={input}
          value={text}
          placeholder="Type a section, a queue, a job id or a command…"
          aria-label="Command"
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Escape") onClose();
            if (e.key === "Enter") go(matches[0]);
          }}
        />
        <ul>
          {matches.map((c) => (
            <li key={c.href + c.label}>
              <a href={c.href} onClick={onClose}>{c.label}</a>
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}

/** `?`: the keyboard shortcuts. */
export function HelpSheet({ onClose }: { onClose(): void }) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") onClose();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);
  const keys: [string, string][] = [
    ["/", "focus the page's search field"],
    ["r", "refresh everything now"],
    ["t", "switch theme (system, light, dark)"],
    ["?", "this sheet"],
    ["Ctrl+K", "command palette"],
    ["Ctrl+Enter", "submit an editor"],
    ["Esc", "close a dialog"],
  ];
  return (
    <div className="backdrop" onClick={onClose}>
      <div className="dialog" role="dialog" aria-modal="true" aria-labelledby="help-title" onClick={(e) => e.stopPropagation()}>
        <h2 id="help-title">Keyboard shortcuts</h2>
        <dl className="facts">
          {keys.map(([k, what]) => [<dt key={k}><kbd>{k}</kbd></dt>, <dd key={`${k}-d`}>{what}</dd>])}
        </dl>
        <div className="actions">
          <button type="button" onClick={onClose}>Close</button>
        </div>
      </div>
    </div>
  );
}
