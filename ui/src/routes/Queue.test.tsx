import { fireEvent, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { ApiError, type JobDetail, type JobPage, type JobQuery, type QueueStats } from "../api";
import { parseRoute } from "../hooks/useRoute";
import { fakeApi } from "../test/fakeApi";
import { renderWith } from "../test/render";
import { Queues, queryOf, reasonOf, target } from "./Queue";

/** What the fake server answers with when a query names no page size (the UI knows none). */
const SERVER_PAGE_SIZE = 20;

/** A filtered listing: `total` matches among `scanned` jobs read, the page's jobs given. */
function searchApi(total: number, scanned: number, complete: boolean, extra = {}) {
  const listJobs = vi.fn((_q: string, query: JobQuery): Promise<JobPage> => {
    const pageSize = query.pageSize ?? SERVER_PAGE_SIZE;
    const jobs = Array.from({ length: Math.min(pageSize, total) }, (_, i) => job(i + 1));
    return Promise.resolve({ queue: "scraping-queue", state: query.state, page: query.page, pageSize, total, jobs, search: { scanned, complete } });
  });
  return { listJobs, api: fakeApi({ listQueues: () => Promise.resolve([stats]), listJobs, ...extra }) };
}

const stats: QueueStats = {
  name: "scraping-queue",
  waiting: 0,
  active: 0,
  delayed: 0,
  completed: 4,
  failed: 25,
  paused: 0,
  isPaused: false,
  workers: 2,
  oldestWaitingMs: null,
  completedLastMinute: 0,
  failedLastMinute: 0,
  needsWorker: false,
};

const job = (id: number): JobDetail => ({
  queue: "scraping-queue",
  id: String(id),
  name: "product-scraping",
  data: { url: `https://shop.example/p/${id}`, accountId: "user123" },
  options: {},
  state: "failed",
  progress: 0,
  attemptsMade: 3,
  timestamp: 1_700_000_000_000,
  processedOn: null,
  finishedOn: 1_700_000_001_000,
  returnValue: null,
  failedReason: `https://shop.example/p/${id}: HTTP 503 Service Unavailable`,
  stacktrace: [],
  logs: [],
  parent: null,
  children: [],
  childrenTotal: 0,
});

function api(extra = {}) {
  const listJobs = vi.fn((_q: string, query: JobQuery): Promise<JobPage> => {
    const pageSize = query.pageSize ?? SERVER_PAGE_SIZE;
    const start = (query.page - 1) * pageSize;
    const jobs = Array.from({ length: Math.max(0, Math.min(pageSize, 25 - start)) }, (_, i) => job(start + i + 1));
    return Promise.resolve({ queue: "scraping-queue", state: query.state, page: query.page, pageSize, total: 25, jobs, search: null });
  });
  return { listJobs, api: fakeApi({ listQueues: () => Promise.resolve([stats]), listJobs, ...extra }) };
}

afterEach(() => {
  window.location.hash = "";
});

describe("the queue page", () => {
  it("reads state, page, size and order from the link", () => {
    expect(queryOf(parseRoute("#/queues/scraping-queue?state=failed&page=3&pageSize=50&order=oldest"))).toEqual({
      state: "failed", page: 3, pageSize: 50, order: "oldest",
    });
    expect(queryOf(parseRoute("#/queues/scraping-queue?page=-2"))).toEqual({
      state: "waiting", page: 1, order: "newest",
    });
  });

  it("shows a failure's reason first, without the URL the row already shows", async () => {
    expect(reasonOf(job(7))).toBe("HTTP 503 Service Unavailable");
    expect(reasonOf({ ...job(7), failedReason: "boom" })).toBe("boom");
    const { api: a } = api();
    renderWith(a, <Queues route={parseRoute("#/queues/scraping-queue?state=failed")} />);
    const table = await screen.findByTestId("job-table");
    const headers = [...table.querySelectorAll("th")].map((th) => th.textContent);
    expect(headers.slice(1, 4)).toEqual(["Id", "Name", "Reason"]);
    const firstRow = table.querySelectorAll("tbody tr")[0];
    expect(firstRow?.querySelector("td.reason")).toHaveTextContent(/^HTTP 503 Service Unavailable$/);
    expect(firstRow?.querySelector("td.reason span")).toHaveAttribute("title", "https://shop.example/p/1: HTTP 503 Service Unavailable");
  });

  it("summarises a job's target from the seed's data fields", () => {
    expect(target({ url: "https://a/p/1", accountId: "u1" })).toBe("https://a/p/1 · u1");
    expect(target({ urls: ["a", "b"], type: "product" })).toBe("2 URLs · product");
    expect(target(null)).toBe("");
  });

  it("shows tabs with counts and pages server-side", async () => {
    const { api: a, listJobs } = api();
    renderWith(a, <Queues route={parseRoute("#/queues/scraping-queue?state=failed")} />);
    expect(await screen.findByTestId("page-of")).toHaveTextContent("Page 1 of 2 · 25 jobs");
    expect(screen.getByRole("link", { name: /Failed 25/ })).toHaveAttribute("aria-current", "page");
    // No page size in the link: core's default, which the page then shows.
    expect(listJobs).toHaveBeenCalledWith("scraping-queue", { state: "failed", page: 1, order: "newest" });
    expect(screen.getAllByRole("row")).toHaveLength(21);
    expect(screen.getByLabelText(/Page size/)).toHaveValue(String(SERVER_PAGE_SIZE));
    fireEvent.click(screen.getByRole("button", { name: "Next" }));
    expect(window.location.hash).toBe("#/queues/scraping-queue?state=failed&page=2&order=newest");
  });

  it("selects a range with Shift+click and retries the selection", async () => {
    const retryJob = vi.fn(() => Promise.resolve());
    const { api: a } = api({ retryJob });
    renderWith(a, <Queues route={parseRoute("#/queues/scraping-queue?state=failed")} />);
    fireEvent.click(await screen.findByLabelText("Select job 2"));
    fireEvent.click(screen.getByLabelText("Select job 6"), { shiftKey: true });
    expect(screen.getByTestId("selection")).toHaveTextContent("5 selected");
    fireEvent.click(screen.getByRole("button", { name: "Retry" }));
    // A mass retry asks first, with the count; Cancel does nothing.
    expect(screen.getByRole("dialog")).toHaveTextContent("Retry 5 failed jobs of scraping-queue?");
    fireEvent.click(screen.getByRole("button", { name: "Cancel" }));
    expect(retryJob).not.toHaveBeenCalled();
    fireEvent.click(screen.getByRole("button", { name: "Retry" }));
    fireEvent.click(screen.getByRole("button", { name: "Retry 5" }));
    await waitFor(() => expect(retryJob).toHaveBeenCalledTimes(5));
    expect(retryJob.mock.calls.map((c: unknown[]) => c[1])).toEqual(["2", "3", "4", "5", "6"]);
    expect(await screen.findByText("Retried: 5 done")).toBeInTheDocument();
  });

  it("states the count before cleaning and cleans only after confirmation", async () => {
    const cleanQueue = vi.fn(() => Promise.resolve(25));
    const { api: a } = api({ cleanQueue });
    renderWith(a, <Queues route={parseRoute("#/queues/scraping-queue?state=failed")} />);
    fireEvent.click(await screen.findByRole("button", { name: "Clean failed" }));
    expect(screen.getByRole("dialog")).toHaveTextContent("removes all 25 failed jobs");
    fireEvent.keyDown(window, { key: "Escape" });
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(cleanQueue).not.toHaveBeenCalled();
    fireEvent.click(screen.getByRole("button", { name: "Clean failed" }));
    fireEvent.click(screen.getByRole("button", { name: "Remove 25 jobs" }));
    await waitFor(() =>
      expect(cleanQueue).toHaveBeenCalledWith("scraping-queue", { completed: false, failed: true, count: null, grace: 0 }),
    );
  });

  it("forgets the selection when another tab is shown", async () => {
    const { api: a } = api();
    const view = renderWith(a, <Queues route={parseRoute("#/queues/scraping-queue?state=failed")} />);
    fireEvent.click(await screen.findByLabelText("Select job 2"));
    expect(screen.getByTestId("selection")).toHaveTextContent("1 selected");
    view.rerenderWith(<Queues route={parseRoute("#/queues/scraping-queue?state=completed")} />);
    await screen.findByLabelText("Select job 2");
    expect(screen.queryByTestId("selection")).toBeNull();
  });

  it("reads a filter from the link and puts one there", async () => {
    expect(queryOf(parseRoute("#/queues/q?state=failed&name=product-scraping&field=url&text=shop.example"))).toEqual({
      state: "failed", page: 1, order: "newest", name: "product-scraping", field: "url", text: "shop.example",
    });
    const { api: a } = api();
    renderWith(a, <Queues route={parseRoute("#/queues/scraping-queue?state=failed&page=2")} />);
    await screen.findByTestId("page-of");
    fireEvent.change(screen.getByRole("searchbox"), { target: { value: " user123 " } });
    fireEvent.change(screen.getByLabelText("Data field"), { target: { value: "accountId" } });
    fireEvent.submit(screen.getByRole("search", { name: "Filter jobs" }));
    expect(window.location.hash).toBe(
      "#/queues/scraping-queue?state=failed&page=1&order=newest&field=accountId&text=user123",
    );
  });

  it("says how far a filter searched, and acts on every match after 'select all matching'", async () => {
    const actOnMatching = vi.fn(() => Promise.resolve({ matched: 240, done: 239, skipped: ["job 7 in scraping-queue is active"], search: { scanned: 10_000, complete: false } }));
    const { api: a, listJobs } = searchApi(240, 10_000, false, { actOnMatching });
    renderWith(a, <Queues route={parseRoute("#/queues/scraping-queue?state=failed&field=url&text=shop.example")} />);
    expect(await screen.findByTestId("search-scope")).toHaveTextContent("240 matching among the newest 10000 failed jobs searched");
    expect(listJobs).toHaveBeenCalledWith("scraping-queue", { state: "failed", page: 1, order: "newest", field: "url", text: "shop.example" });
    expect(screen.getByTestId("page-of")).toHaveTextContent("Page 1 of 12 · 240 matching jobs");
    expect(screen.queryByRole("button", { name: /Select all/ })).toBeNull();
    fireEvent.click(screen.getByLabelText("Select every job on this page"));
    fireEvent.click(screen.getByRole("button", { name: "Select all 240 matching" }));
    expect(screen.getByTestId("selection")).toHaveTextContent("All 240 matching selected");
    fireEvent.click(screen.getByRole("button", { name: "Retry" }));
    fireEvent.click(screen.getByRole("button", { name: "Retry 240" }));
    await waitFor(() =>
      expect(actOnMatching).toHaveBeenCalledWith("scraping-queue", "failed", { name: null, field: "url", text: "shop.example" }, "retry"),
    );
    expect(await screen.findByText(/Retried: 239 done, 1 skipped: job 7 in scraping-queue is active/)).toBeInTheDocument();
    expect(screen.queryByTestId("selection")).toBeNull();
  });

  it("asks before removing selected jobs, pausing, or retrying everything, and Cancel does nothing", async () => {
    const removeJob = vi.fn(() => Promise.resolve());
    const pauseQueue = vi.fn(() => Promise.resolve());
    const retryFailed = vi.fn(() => Promise.resolve(25));
    const { api: a } = api({ removeJob, pauseQueue, retryFailed });
    renderWith(a, <Queues route={parseRoute("#/queues/scraping-queue?state=failed")} />);
    fireEvent.click(await screen.findByLabelText("Select job 3"));
    fireEvent.click(screen.getByRole("button", { name: "Remove" }));
    expect(screen.getByRole("dialog")).toHaveTextContent("Remove 1 job from scraping-queue?");
    fireEvent.click(screen.getByRole("button", { name: "Cancel" }));
    fireEvent.click(screen.getByRole("button", { name: "Pause" }));
    expect(screen.getByRole("dialog")).toHaveTextContent("Pause scraping-queue?");
    fireEvent.click(screen.getByRole("button", { name: "Cancel" }));
    fireEvent.click(screen.getByRole("button", { name: "Retry all failed" }));
    expect(screen.getByRole("dialog")).toHaveTextContent("Retry all 25 failed jobs of scraping-queue?");
    fireEvent.click(screen.getByRole("button", { name: "Cancel" }));
    expect(removeJob).not.toHaveBeenCalled();
    expect(pauseQueue).not.toHaveBeenCalled();
    expect(retryFailed).not.toHaveBeenCalled();
    fireEvent.click(screen.getByRole("button", { name: "Remove" }));
    fireEvent.click(screen.getByRole("button", { name: "Remove 1" }));
    await waitFor(() => expect(removeJob).toHaveBeenCalledWith("scraping-queue", "3"));
  });

  it("offers no 'all matching' without a filter: the whole state has its own actions", async () => {
    const { api: a } = api();
    renderWith(a, <Queues route={parseRoute("#/queues/scraping-queue?state=failed")} />);
    fireEvent.click(await screen.findByLabelText("Select every job on this page"));
    expect(screen.getByTestId("selection")).toHaveTextContent("20 selected");
    expect(screen.queryByRole("button", { name: /Select all/ })).toBeNull();
    expect(screen.getByRole("button", { name: "Retry all failed" })).toBeInTheDocument();
  });

  it("opened from a notification, offers to retry the group's failed jobs", async () => {
    const actOnMatching = vi.fn(() => Promise.resolve({ matched: 21, done: 21, skipped: [], search: { scanned: 25, complete: true } }));
    const { api: a } = searchApi(21, 25, true, { actOnMatching });
    renderWith(
      a,
      <Queues
        route={parseRoute(
          "#/queues/scraping-queue?state=failed&name=product-scraping&text=shop.example&alert=HTTP+429+Too+Many+Requests",
        )}
      />,
    );
    const group = await screen.findByTestId("alert-group");
    await waitFor(() => expect(group.textContent).toContain("21 failed jobs match"));
    expect(group.textContent).toContain("product-scraping on shop.example failing with HTTP 429 Too Many Requests");
    fireEvent.click(screen.getByRole("button", { name: "Retry these" }));
    await waitFor(() =>
      expect(actOnMatching).toHaveBeenCalledWith(
        "scraping-queue",
        "failed",
        { name: "product-scraping", field: null, text: "shop.example" },
        "retry",
      ),
    );
    expect(await screen.findByText("Retrying: 21 done")).toBeTruthy();
  });

  it("shows no notification banner without one", async () => {
    const { api: a } = searchApi(21, 25, true);
    renderWith(a, <Queues route={parseRoute("#/queues/scraping-queue?state=failed&name=product-scraping")} />);
    await screen.findByText(/matching jobs/);
    expect(screen.queryByTestId("alert-group")).toBeNull();
  });
});

describe("the queue list", () => {
  it("creates a queue, keeping the name and showing core's refusal beside it", async () => {
    const createQueue = vi
      .fn()
      .mockRejectedValueOnce(new ApiError("invalid_input", "queue: `a:b` is not a queue name"))
      .mockResolvedValueOnce({ queue: { ...stats, name: "partner-feed", failed: 0 }, created: true });
    renderWith(fakeApi({ listQueues: () => Promise.resolve([stats]), createQueue }), <Queues route={parseRoute("#/queues")} />);
    await screen.findByTestId("queue-scraping-queue");
    const box = screen.getByLabelText("New queue");
    fireEvent.change(box, { target: { value: "a:b" } });
    fireEvent.click(screen.getByRole("button", { name: "Create" }));
    expect((await screen.findByRole("alert")).textContent).toContain("is not a queue name");
    expect((box as HTMLInputElement).value).toBe("a:b");
    expect(box.getAttribute("aria-invalid")).toBe("true");
    fireEvent.change(box, { target: { value: " partner-feed " } });
    fireEvent.click(screen.getByRole("button", { name: "Create" }));
    await waitFor(() => expect(window.location.hash).toBe("#/queues/partner-feed"));
    expect(createQueue).toHaveBeenLastCalledWith("partner-feed");
    expect((box as HTMLInputElement).value).toBe("");
  });
});
