import { sections, type SectionId } from "./sections";

/** Sections whose features have not been built yet say so plainly. */
export function NotYet({ section }: { section: SectionId }) {
  const label = sections.find((s) => s.id === section)?.label ?? section;
  return (
    <main className="page" aria-labelledby="page-title">
      <h1 id="page-title">{label}</h1>
      <p className="muted">This section is not part of this version of Antrian yet.</p>
    </main>
  );
}
