/** The sidebar's sections (UX.md, "Conventions worth copying"). */
export const sections = [
  { id: "overview", label: "Overview" },
  { id: "queues", label: "Queues" },
  { id: "schedules", label: "Schedules" },
  { id: "workers", label: "Workers" },
  { id: "results", label: "Results" },
  { id: "health", label: "Health" },
  { id: "audit", label: "Audit log" },
  { id: "settings", label: "Settings" },
] as const;

export type SectionId = (typeof sections)[number]["id"];

/** "#/queues" → "queues"; anything unknown → "overview". */
export function sectionFromHash(hash: string): SectionId {
  const id = hash.replace(/^#\/?/, "").split("/")[0];
  return sections.find((s) => s.id === id)?.id ?? "overview";
}
