import { fireEvent, screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

import { ApiError, type Catalogue, type DynamicScheduleView, type Preview, type ScheduleView } from "../api";
import generated from "../api/generated/catalogue.json";
import { fakeApi } from "../test/fakeApi";
import { renderWith } from "../test/render";
import { toInput } from "./DynamicSchedules";
import { Schedules } from "./Schedules";

/** The catalogue as Rust writes it (`cargo test -p antrian-jobs`). */
const listJobTypes = () => Promise.resolve(generated as Catalogue);

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
  it("shows the sentence, zone, overlap policy, next run and recent runs on one row", async () => {
    const runs = [
      { jobId: "repeat:2", firedAt: Date.now() - 61_000, outcome: "failed" as const, finishedAt: null, reason: "boom" },
      { jobId: "repeat:1", firedAt: Date.now() - 86_461_000, outcome: "completed" as const, finishedAt: null, reason: null },
    ];
    renderWith(
      fakeApi({ listDynamicSchedules: () => Promise.resolve([]), listSchedules: () => Promise.resolve([view({ recentRuns: runs, overlap: "skip" })]) }),
      <Schedules />,
    );
    const row = await screen.findByTestId("schedule-daily-cleanup");
    expect(row).toHaveTextContent("At 02:00 AM");
    expect(row).toHaveTextContent("Asia/Jakarta");
    expect(row.querySelector('[title="0 2 * * * (Asia/Jakarta)"]')).not.toBeNull();
    expect(row).toHaveTextContent("skips a run while one is due");
    // The page's clock is set when the first time shows: wait for that render.
    await waitFor(() => expect(row).toHaveTextContent(/1 min( \d+ s)? ago/));
    expect(row).toHaveTextContent("in 1 h");
    // One mark per run, oldest first, each a link to its job saying how it ended.
    const marks = [...row.querySelectorAll<HTMLAnchorElement>("a.mark")];
    expect(marks.map((m) => m.getAttribute("href"))).toEqual([
      "#/queues/cleanup-queue/jobs/repeat%3A1",
      "#/queues/cleanup-queue/jobs/repeat%3A2",
    ]);
    expect(marks[1]?.getAttribute("aria-label")).toMatch(/^run repeat:2: failed, .* \(boom\)$/);
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
    // Stands in for core, which previews DEFAULT_PREVIEW (5) times when no count is asked.
    const previewCron = vi.fn((cron: string, tz: string | undefined, count = 5): Promise<Preview> =>
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

  it("edits a schedule in place: its name stays, every field is sent as a change", async () => {
    let current = view({ jobData: { collections: ["products"], olderThan: 30 } });
    const updateSchedule = vi.fn((_name: string, change: Record<string, unknown>) => {
      current = view({ ...change });
      return Promise.resolve(current);
    });
    const previewCron = vi.fn(() =>
      Promise.resolve({ schedule: "30 3 * * *", timezone: "Asia/Jakarta", description: "At 03:30 AM", times: [] }),
    );
    renderWith(
      fakeApi({ listDynamicSchedules: () => Promise.resolve([]), listSchedules: () => Promise.resolve([current]), updateSchedule, previewCron, listJobTypes }),
      <Schedules />,
    );
    fireEvent.click(await screen.findByRole("button", { name: "Edit daily-cleanup" }));
    const form = screen.getByRole("form", { name: "Edit daily-cleanup" });
    expect(screen.getByLabelText("Name")).toHaveAttribute("readonly");
    expect(screen.getByLabelText("Time zone (IANA)")).toHaveValue("Asia/Jakarta");
    // The job's data in its type's form, from the catalogue.
    expect(await screen.findByLabelText(/^Collections/)).toHaveValue("products");
    expect(screen.getByLabelText(/^Older than/)).toHaveValue("30");
    fireEvent.change(screen.getByLabelText("Cron expression"), { target: { value: "30 3 * * *" } });
    fireEvent.change(screen.getByLabelText("Priority"), { target: { value: "low" } });
    fireEvent.change(screen.getByLabelText("Attempts"), { target: { value: "2" } });
    fireEvent.change(screen.getByLabelText(/^Run limit/), { target: { value: "10" } });
    fireEvent.change(screen.getByLabelText(/^While the previous run/), { target: { value: "skip" } });
    fireEvent.submit(form);
    await waitFor(() => expect(updateSchedule).toHaveBeenCalledTimes(1));
    expect(updateSchedule).toHaveBeenCalledWith("daily-cleanup", {
      schedule: "30 3 * * *",
      timezone: "Asia/Jakarta",
      queueName: "cleanup-queue",
      jobName: "cleanup-old-data",
      jobData: { collections: ["products"], olderThan: 30, dryRun: false },
      enabled: true,
      options: { priority: "low", attempts: 2 },
      overlap: "skip",
      startDate: null,
      endDate: null,
      limit: 10,
    });
    await waitFor(() => expect(screen.queryByRole("form", { name: "Edit daily-cleanup" })).toBeNull());
    expect(screen.getByTestId("schedule-daily-cleanup").querySelector('[title^="30 3 * * *"]')).not.toBeNull();
  });

  it("builds each kind of condition, and names a field that is not a number", () => {
    const base = {
      name: "n", kind: "queue_size" as const, queueName: "scraping-queue", operator: ">=" as const, threshold: "50",
      windowSeconds: "600", minJobs: "10", forSeconds: "120", cooldownSeconds: "60",
      actionQueue: "notifications-queue", actionJob: "send-email", jobData: '{"to": "a@example.com"}',
    };
    expect(toInput(base)).toEqual({
      input: {
        name: "n",
        condition: { type: "queue_size", queueName: "scraping-queue", operator: ">=", threshold: 50 },
        action: { queueName: "notifications-queue", jobName: "send-email", jobData: { to: "a@example.com" }, options: {} },
        cooldownSeconds: 60,
        enabled: true,
      },
    });
    expect(toInput({ ...base, kind: "failure_rate", threshold: "12.5" })).toMatchObject({
      input: { condition: { type: "failure_rate", threshold: 12.5, windowSeconds: 600, minJobs: 10 } },
    });
    expect(toInput({ ...base, kind: "no_workers" })).toMatchObject({
      input: { condition: { type: "no_workers", queueName: "scraping-queue", forSeconds: 120 } },
    });
    expect(toInput({ ...base, kind: "queue_drained" })).toMatchObject({
      input: { condition: { type: "queue_drained", queueName: "scraping-queue" } },
    });
    expect(toInput({ ...base, threshold: "lots" })).toEqual({ error: "Threshold: “lots” is not a number" });
    expect(toInput({ ...base, kind: "no_workers", forSeconds: "" })).toEqual({ error: "For: “” is not a number" });
    expect(toInput({ ...base, jobData: "{" })).toMatchObject({ error: expect.stringContaining("Job data: not JSON") });
  });

  it("adds a condition-based schedule, showing core's refusal where it was made", async () => {
    const added: unknown[] = [];
    const addDynamicSchedule = vi.fn((input: { condition: { queueName: string } }) => {
      if (input.condition.queueName === "bad queue") {
        return Promise.reject(new ApiError("invalid_input", "condition.queueName: `bad queue` is not a queue name"));
      }
      added.push(input);
      return Promise.resolve({} as DynamicScheduleView);
    });
    renderWith(
      fakeApi({ listSchedules: () => Promise.resolve([]), listDynamicSchedules: () => Promise.resolve([]), addDynamicSchedule }),
      <Schedules />,
    );
    fireEvent.click(await screen.findByRole("button", { name: "New condition-based schedule" }));
    const form = screen.getByRole("form", { name: "New condition-based schedule" });
    fireEvent.change(screen.getByLabelText("When"), { target: { value: "no_workers" } });
    fireEvent.change(screen.getByLabelText("Queue watched"), { target: { value: "bad queue" } });
    fireEvent.submit(form);
    expect(await screen.findByTestId("dynamic-error")).toHaveTextContent("`bad queue` is not a queue name");
    fireEvent.change(screen.getByLabelText("Queue watched"), { target: { value: "scraping-queue" } });
    fireEvent.change(screen.getByLabelText("For (seconds)"), { target: { value: "90" } });
    fireEvent.submit(form);
    await waitFor(() => expect(screen.queryByRole("form", { name: "New condition-based schedule" })).toBeNull());
    expect(added).toEqual([
      {
        name: "high-queue-alert",
        condition: { type: "no_workers", queueName: "scraping-queue", forSeconds: 90 },
        action: {
          queueName: "notifications-queue",
          jobName: "send-email",
          jobData: { to: "admin@example.com", subject: "High Queue Alert", template: "notice" },
          options: {},
        },
        cooldownSeconds: 300,
        enabled: true,
      },
    ]);
  });

  it("edits a condition-based schedule in place, its action in the job type's form", async () => {
    const current: DynamicScheduleView = {
      name: "high-queue-alert",
      description: "when scraping-queue has more than 50 jobs waiting",
      state: { lastEvaluated: null, lastValue: null, holding: false, armed: true, hadWork: false, starvedSince: null, lastFired: null, fireCount: 0, lastJobId: null },
      cooldownUntil: null,
      condition: { type: "queue_size", queueName: "scraping-queue", operator: ">", threshold: 50 },
      action: { jobName: "send-email", queueName: "notifications-queue", jobData: { to: "admin@example.com", subject: "High Queue Alert" }, options: { priority: "high" } },
      cooldownSeconds: 300,
      enabled: true,
      createdAt: 0,
      updatedAt: 0,
    };
    const updateDynamicSchedule = vi.fn(() => Promise.resolve(current));
    renderWith(
      fakeApi({ listSchedules: () => Promise.resolve([]), listDynamicSchedules: () => Promise.resolve([current]), updateDynamicSchedule, listJobTypes }),
      <Schedules />,
    );
    fireEvent.click(await screen.findByRole("button", { name: "Edit high-queue-alert" }));
    const form = screen.getByRole("form", { name: "Edit high-queue-alert" });
    expect(screen.getByLabelText("Name")).toHaveAttribute("readonly");
    expect(await screen.findByLabelText(/^Subject/)).toHaveValue("High Queue Alert");
    expect(screen.getByLabelText("Priority")).toHaveValue("high");
    fireEvent.change(screen.getByLabelText("Threshold (jobs waiting)"), { target: { value: "80" } });
    fireEvent.change(screen.getByLabelText(/^Subject/), { target: { value: "Scraping backs up" } });
    fireEvent.change(screen.getByLabelText("Cooldown (seconds)"), { target: { value: "600" } });
    fireEvent.submit(form);
    await waitFor(() => expect(updateDynamicSchedule).toHaveBeenCalledTimes(1));
    expect(updateDynamicSchedule).toHaveBeenCalledWith("high-queue-alert", {
      condition: { type: "queue_size", queueName: "scraping-queue", operator: ">", threshold: 80 },
      action: {
        queueName: "notifications-queue",
        jobName: "send-email",
        jobData: { to: ["admin@example.com"], subject: "Scraping backs up" },
        options: { priority: "high" },
      },
      cooldownSeconds: 600,
    });
  });
});
