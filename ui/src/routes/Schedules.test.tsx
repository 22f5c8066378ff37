import { fireEvent, screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

import { ApiError, type Preview, type ScheduleView } from "../api";
import { fakeApi } from "../test/fakeApi";
import { renderWith } from "../test/render";
import { Schedules } from "./Schedules";

const view = (over: Partial<ScheduleView> = {}): ScheduleView => ({
  name: "daily-cleanup",
  schedule: "0 2 * * *",
  timezone: "Asia/Jakarta",
  description: "At 02:00 AM",
  jobName: "cleanup-old-data",
  queueName: "cleanup-queue",
  jobData: {},
  options: {},
  startDate: null,
  endDate: null,
  limit: null,
  overlap: "allow",
  enabled: true,
  createdAt: 0,
  updatedAt: 0,
  status: "active",
  nextRun: Date.now() + 3_630_000,
  iterations: 3,
  recentRuns: [{ jobId: "repeat:1", firedAt: Date.now() - 61_000, outcome: "failed", finishedAt: null, reason: "boom" }],
  ...over,
});

describe("the schedules page", () => {
  it("shows cron, sentence, zone, next run and the last outcome", async () => {
    renderWith(fakeApi({ listSchedules: () => Promise.resolve([view()]) }), <Schedules />);
    const row = await screen.findByTestId("schedule-daily-cleanup");
    expect(row).toHaveTextContent("0 2 * * *");
    expect(row).toHaveTextContent("At 02:00 AM");
    expect(row).toHaveTextContent("Asia/Jakarta");
    // The page's clock is set when the first time shows: wait for that render.
    await waitFor(() => expect(row).toHaveTextContent(/1 min( \d+ s)? ago failed/));
    expect(row).toHaveTextContent("in 1 h");
  });

  it("disables and enables with the toggle, and runs now", async () => {
    let current = view();
    const disableSchedule = vi.fn(() => {
      current = view({ enabled: false });
      return Promise.resolve(current);
    });
    const runSchedule = vi.fn(() => Promise.resolve({ queue: "cleanup-queue", id: "run:1", name: "cleanup-old-data", duplicate: false }));
    renderWith(fakeApi({ listSchedules: () => Promise.resolve([current]), disableSchedule, runSchedule }), <Schedules />);
    const toggle = await screen.findByLabelText("daily-cleanup enabled");
    fireEvent.click(toggle);
    await waitFor(() => expect(screen.getByLabelText("daily-cleanup enabled")).not.toBeChecked());
    expect(disableSchedule).toHaveBeenCalledWith("daily-cleanup");
    fireEvent.click(screen.getByRole("button", { name: "Run now" }));
    expect(await screen.findByText("daily-cleanup: a run was added")).toBeInTheDocument();
  });

  it("previews the next 5 runs as the expression is typed, and names a bad one", async () => {
    const previewCron = vi.fn((cron: string, tz: string | undefined, count: number): Promise<Preview> =>
      cron.split(" ").length < 5
        ? Promise.reject(new ApiError("invalid_input", `cron: \`${cron}\` has too few fields`))
        : Promise.resolve({
            schedule: cron,
            timezone: tz ?? "UTC",
            description: "Every minute",
            times: Array.from({ length: count }, (_, i) => new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString()),
          }),
    );
    renderWith(fakeApi({ listSchedules: () => Promise.resolve([]), previewCron }), <Schedules />);
    expect(await screen.findByTestId("no-schedules")).toHaveTextContent("New schedule");
    fireEvent.click(screen.getByRole("button", { name: "New schedule" }));
    fireEvent.change(screen.getByLabelText("Cron expression"), { target: { value: "* * * * *" } });
    await waitFor(() => expect(screen.getByTestId("cron-preview").querySelectorAll("li")).toHaveLength(5));
    expect(screen.getByTestId("cron-preview")).toHaveTextContent("Every minute");
    fireEvent.change(screen.getByLabelText("Cron expression"), { target: { value: "* *" } });
    await waitFor(() => expect(screen.getByTestId("cron-preview")).toHaveTextContent("has too few fields"));
  });
});
