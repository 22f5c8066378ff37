import { fireEvent, screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

import { ApiError, type DynamicScheduleView, type Preview, type ScheduleView } from "../api";
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
    renderWith(fakeApi({ listDynamicSchedules: () => Promise.resolve([]), listSchedules: () => Promise.resolve([view()]) }), <Schedules />);
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
    renderWith(fakeApi({ listDynamicSchedules: () => Promise.resolve([]), listSchedules: () => Promise.resolve([current]), disableSchedule, runSchedule }), <Schedules />);
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
    renderWith(fakeApi({ listDynamicSchedules: () => Promise.resolve([]), listSchedules: () => Promise.resolve([]), previewCron }), <Schedules />);
    expect(await screen.findByTestId("no-schedules")).toHaveTextContent("New schedule");
    fireEvent.click(screen.getByRole("button", { name: "New schedule" }));
    fireEvent.change(screen.getByLabelText("Cron expression"), { target: { value: "* * * * *" } });
    await waitFor(() => expect(screen.getByTestId("cron-preview").querySelectorAll("li")).toHaveLength(5));
    expect(screen.getByTestId("cron-preview")).toHaveTextContent("Every minute");
    fireEvent.change(screen.getByLabelText("Cron expression"), { target: { value: "* *" } });
    await waitFor(() => expect(screen.getByTestId("cron-preview")).toHaveTextContent("has too few fields"));
  });

  it("lists condition-based schedules with their last fire and cooldown, and disables one", async () => {
    const dynamic = (enabled: boolean): DynamicScheduleView => ({
      name: "scale-alert",
      description: "when scraping-queue has more than 1000 jobs waiting",
      state: { lastEvaluated: 1, lastValue: 1500, holding: true, armed: false, hadWork: true, starvedSince: null, lastFired: Date.now() - 120_000, fireCount: 2, lastJobId: "dynamic:scale-alert:1-2" },
      cooldownUntil: Date.now() + 180_000,
      condition: { type: "queue_size", queueName: "scraping-queue", operator: ">", threshold: 1000 },
      action: { jobName: "send-email", queueName: "notifications-queue", jobData: {}, options: {} },
      cooldownSeconds: 300,
      enabled,
      createdAt: 0,
      updatedAt: 0,
    });
    let current = dynamic(true);
    const setDynamicScheduleEnabled = vi.fn((_name: string, on: boolean) => {
      current = dynamic(on);
      return Promise.resolve(current);
    });
    renderWith(
      fakeApi({ listSchedules: () => Promise.resolve([]), listDynamicSchedules: () => Promise.resolve([current]), setDynamicScheduleEnabled }),
      <Schedules />,
    );
    const row = await screen.findByTestId("dynamic-scale-alert");
    expect(row).toHaveTextContent("more than 1000 jobs waiting");
    expect(row).toHaveTextContent("now: 1500");
    expect(row).toHaveTextContent("send-email in notifications-queue");
    await waitFor(() => expect(row).toHaveTextContent(/2 min( \d+ s)? ago \(2 in all\)/));
    expect(row).toHaveTextContent(/until in \d+ min/);
    fireEvent.click(screen.getByLabelText("scale-alert enabled"));
    await waitFor(() => expect(screen.getByLabelText("scale-alert enabled")).not.toBeChecked());
    expect(setDynamicScheduleEnabled).toHaveBeenCalledWith("scale-alert", false);
  });
});
