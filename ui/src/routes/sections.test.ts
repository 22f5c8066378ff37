import { describe, expect, it } from "vitest";

import { sectionFromHash, sections } from "./sections";

describe("sections", () => {
  it("lists the sidebar of UX.md in order, with the audit log before Settings", () => {
    expect(sections.map((s) => s.label)).toEqual([
      "Overview", "Queues", "Schedules", "Workers", "Results", "Health", "Audit log", "Settings",
    ]);
  });

  it("reads the section from the hash", () => {
    expect(sectionFromHash("#/schedules")).toBe("schedules");
    expect(sectionFromHash("#/queues/scraping-queue")).toBe("queues");
    expect(sectionFromHash("")).toBe("overview");
    expect(sectionFromHash("#/nope")).toBe("overview");
  });
});
