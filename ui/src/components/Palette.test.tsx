import { fireEvent, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import type { QueueStats } from "../api";
import { fakeApi } from "../test/fakeApi";
import { renderWith } from "../test/render";
import { Palette, typedJobId } from "./Palette";

describe("the command palette", () => {
  it("reads a job id from what is typed", () => {
    expect(typedJobId("42")).toBe("42");
    expect(typedJobId("job 42")).toBe("42");
    expect(typedJobId("repeat:nightly:1700000000000")).toBe("repeat:nightly:1700000000000");
    expect(typedJobId("failed jobs")).toBeNull();
    expect(typedJobId("")).toBeNull();
  });

  it("offers to open the typed job in each queue", async () => {
    const queue = (name: string) => ({ name }) as QueueStats;
    renderWith(
      fakeApi({ listQueues: () => Promise.resolve([queue("scraping-queue"), queue("cleanup-queue")]) }),
      <Palette onClose={() => undefined} />,
    );
    await screen.findByText("Queue scraping-queue");
    fireEvent.change(screen.getByLabelText("Command"), { target: { value: "job 42" } });
    expect(screen.getByRole("link", { name: "Job 42 in scraping-queue" }).getAttribute("href")).toBe(
      "#/queues/scraping-queue/jobs/42",
    );
    expect(screen.getByRole("link", { name: "Job 42 in cleanup-queue" })).toBeTruthy();
  });
});
