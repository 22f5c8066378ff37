import { fireEvent, screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

import { ApiError, type JobDetail } from "../api";
import { fakeApi } from "../test/fakeApi";
import { renderWith } from "../test/render";
import { JobPage, percent, steps } from "./Job";

const failed: JobDetail = {
  queue: "scraping-queue",
  id: "42",
  name: "product-scraping",
  data: { url: "https://shop.example/p/1", accountId: "user123" },
  options: { attempts: 3 },
  state: "failed",
  progress: 40,
  attemptsMade: 3,
  timestamp: 1_700_000_000_000,
  processedOn: 1_700_000_000_500,
  finishedOn: 1_700_000_001_000,
  returnValue: null,
  failedReason: "HTTP 503 from shop.example",
  stacktrace: ["Error: first\n at a", "Error: HTTP 503 from shop.example\n    at fetch (scrape.js:10)"],
  logs: ["fetching https://shop.example/p/1", "got 503"],
  parent: null,
  children: [],
  childrenTotal: 0,
};

describe("the job page", () => {
  it("shows a batch's children, linked with their states, and a child's batch", async () => {
    const batch: JobDetail = {
      ...failed,
      id: "27",
      name: "batch-scraping",
      state: "completed",
      failedReason: null,
      stacktrace: [],
      children: [
        { queue: "scraping-queue", id: "27-0", name: "", state: "completed", gone: true },
        { queue: "scraping-queue", id: "27-1", name: "product-scraping", state: "failed", gone: false },
      ],
      childrenTotal: 3,
    };
    const child: JobDetail = { ...failed, id: "27-1", parent: { queue: "scraping-queue", id: "27", name: "batch-scraping", state: "completed", gone: false } };
    const view = renderWith(fakeApi({ getJob: (_q, id) => Promise.resolve(id === "27" ? batch : child) }), <JobPage queue="scraping-queue" id="27" />);
    const children = await screen.findByTestId("children");
    expect(children).toHaveTextContent("Children (3)");
    expect(children).toHaveTextContent("1 completed · 1 failed · the first 2 shown");
    expect(screen.getByRole("link", { name: "product-scraping #27-1" })).toHaveAttribute("href", "#/queues/scraping-queue/jobs/27-1");
    expect(children).toHaveTextContent("#27-0 (removed)");
    view.rerenderWith(<JobPage queue="scraping-queue" id="27-1" />);
    const parent = await screen.findByTestId("parent");
    expect(screen.getByRole("link", { name: "batch-scraping #27" })).toHaveAttribute("href", "#/queues/scraping-queue/jobs/27");
    expect(parent).toHaveTextContent("completed");
  });

  it("reads progress as a number or {percent}", () => {
    expect(percent(40)).toBe(40);
    expect(percent({ percent: 120 })).toBe(100);
    expect(percent("half")).toBeNull();
  });

  it("lays out each attempt: failed ones with their error, the last start and the end", () => {
    expect(steps(failed).map((s) => `${s.what}${s.detail ? `: ${s.detail}` : ""}`)).toEqual([
      "Added",
      // Three attempts, two traces kept before the last: the first attempt's was not.
      "Attempt 2 failed: Error: first",
      "Attempt 3 started",
      "Failed for good: HTTP 503 from shop.example",
    ]);
    const retrying: JobDetail = { ...failed, state: "delayed", attemptsMade: 1, stacktrace: ["Error: timeout\n at x"], failedReason: "timeout" };
    expect(steps(retrying).map((s) => s.what)).toEqual(["Added", "Attempt 1 started", "Attempt 1 failed; a retry is due"]);
    const running: JobDetail = { ...retrying, state: "active" };
    expect(steps(running).map((s) => s.what)).toEqual(["Added", "Attempt 1 failed", "Attempt 2 started"]);
    const done: JobDetail = { ...failed, state: "completed", attemptsMade: 1, stacktrace: [], failedReason: null };
    expect(steps(done).map((s) => s.what)).toEqual(["Added", "Attempt 1 started", "Completed"]);
  });

  it("shows data, failure with the latest stack trace, logs and attempts", async () => {
    renderWith(fakeApi({ getJob: () => Promise.resolve(failed) }), <JobPage queue="scraping-queue" id="42" />);
    expect(await screen.findByTestId("job-state")).toHaveTextContent("failed");
    expect(screen.getByTestId("failure")).toHaveTextContent("HTTP 503 from shop.example");
    expect(screen.getByTestId("failure")).toHaveTextContent("at fetch (scrape.js:10)");
    expect(screen.getByTestId("logs")).toHaveTextContent("got 503");
    expect(screen.getByTestId("attempts")).toHaveTextContent("3");
    expect(screen.getByRole("progressbar", { name: "Progress" })).toHaveAttribute("value", "40");
    expect(screen.getByText(/"accountId": "user123"/)).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Duplicate" })).toHaveAttribute(
      "href",
      "#/add-job?queue=scraping-queue&from=42",
    );
  });

  it("retries a failed job and shows its new state", async () => {
    let current = failed;
    const retryJob = vi.fn(() => {
      current = { ...failed, state: "waiting", failedReason: null };
      return Promise.resolve();
    });
    renderWith(fakeApi({ getJob: () => Promise.resolve(current), retryJob }), <JobPage queue="scraping-queue" id="42" />);
    fireEvent.click(await screen.findByRole("button", { name: "Retry" }));
    await waitFor(() => expect(screen.getByTestId("job-state")).toHaveTextContent("waiting"));
    expect(retryJob).toHaveBeenCalledWith("scraping-queue", "42");
    expect(screen.queryByRole("button", { name: "Retry" })).toBeNull();
  });

  it("edits data in place: syntax checked here, core's refusal shown inline, then saved and retried", async () => {
    let current = failed;
    const updateJobData = vi.fn((_q: string, _id: string, data: Record<string, unknown>) => {
      if (data.url === "ftp://x") {
        return Promise.reject(new ApiError("invalid_input", "data: url: must be an http(s) URL"));
      }
      current = { ...current, data };
      return Promise.resolve(current);
    });
    const retryJob = vi.fn(() => {
      current = { ...current, state: "waiting", failedReason: null };
      return Promise.resolve();
    });
    renderWith(
      fakeApi({ getJob: () => Promise.resolve(current), updateJobData, retryJob }),
      <JobPage queue="scraping-queue" id="42" />,
    );
    fireEvent.click(await screen.findByRole("button", { name: "Edit data" }));
    const box = screen.getByRole("textbox", { name: "Job data (JSON)" });
    expect(box).toHaveValue(JSON.stringify(failed.data, null, 2));

    fireEvent.change(box, { target: { value: "{url: " } });
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("not valid JSON");
    expect(updateJobData).not.toHaveBeenCalled();

    fireEvent.change(box, { target: { value: '{"url": "ftp://x"}' } });
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(screen.getByRole("alert")).toHaveTextContent("must be an http(s) URL"));
    expect(box).toHaveValue('{"url": "ftp://x"}');

    fireEvent.change(box, { target: { value: '{"url": "https://shop.example/p/2"}' } });
    fireEvent.click(screen.getByRole("button", { name: "Save and retry" }));
    await waitFor(() => expect(screen.getByTestId("job-state")).toHaveTextContent("waiting"));
    expect(updateJobData).toHaveBeenLastCalledWith("scraping-queue", "42", { url: "https://shop.example/p/2" });
    expect(retryJob).toHaveBeenCalledWith("scraping-queue", "42");
    expect(screen.getByText(/"url": "https:\/\/shop.example\/p\/2"/)).toBeInTheDocument();
  });

  it("offers no data editor for a job a worker holds or that completed", async () => {
    renderWith(
      fakeApi({ getJob: () => Promise.resolve({ ...failed, state: "active", failedReason: null }) }),
      <JobPage queue="scraping-queue" id="42" />,
    );
    expect(await screen.findByTestId("job-state")).toHaveTextContent("active");
    expect(screen.queryByRole("button", { name: "Edit data" })).toBeNull();
  });

  it("says plainly when the job does not exist", async () => {
    renderWith(
      fakeApi({ getJob: () => Promise.reject(new ApiError("not_found", "job 9 in scraping-queue was not found")) }),
      <JobPage queue="scraping-queue" id="9" />,
    );
    expect(await screen.findByRole("alert")).toHaveTextContent("job 9 in scraping-queue was not found");
  });
});
