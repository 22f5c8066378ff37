import { screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

import type { AuditEntry } from "../api";
import { fakeApi } from "../test/fakeApi";
import { renderWith } from "../test/render";
import { Audit } from "./Audit";

const entry: AuditEntry = {
  at: Date.now() - 60_000,
  actor: { via: "dashboard", who: "admin from 10.0.0.7" },
  action: "remove",
  queue: "scraping-queue",
  count: 49,
  target: "49 failed jobs",
  summary: "removed 49 failed jobs from scraping-queue",
};

describe("the audit log page", () => {
  it("shows who did what, linking to the queue", async () => {
    const listAudit = vi.fn(() => Promise.resolve([entry]));
    renderWith(fakeApi({ listAudit }), <Audit />);
    const what = await screen.findByRole("link", { name: entry.summary });
    expect(what.getAttribute("href")).toBe("#/queues/scraping-queue");
    expect(screen.getByText("Dashboard · admin from 10.0.0.7")).toBeTruthy();
    expect(listAudit).toHaveBeenCalledWith(200);
  });

  it("says so while loading and when the log is empty", async () => {
    let answer: (e: AuditEntry[]) => void = () => undefined;
    renderWith(fakeApi({ listAudit: () => new Promise((r) => (answer = r)) }), <Audit />);
    expect(screen.getByText("Loading the audit log…")).toBeTruthy();
    answer([]);
    expect(await screen.findByText(/Nothing has been removed/)).toBeTruthy();
  });
});
