import { act, fireEvent, render, screen } from "@testing-library/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";

import { ApiError, ApiProvider, type Api, type Catalogue, type ConnectionStatus, type HealthStatus, type QueueStats } from "../api";
import generated from "../api/generated/catalogue.json";
import { fakeApi as stubApi } from "../test/fakeApi";
import { Overview } from "./Overview";

const connected: ConnectionStatus = {
  state: "connected",
  mode: "embedded",
  address: "127.0.0.1:41519 (embedded)",
  redisVersion: "7.0.15",
  usedMemoryBytes: 1_048_576,
  maxMemoryBytes: 0,
  maxmemoryPolicy: "noeviction",
  connectedClients: 14,
  maxClients: 10000,
  evictionWarning: null,
  latencyMs: 0.31,
  error: null,
  checkedAtMs: 1,
};

const queue = (name: string, over: Partial<QueueStats> = {}): QueueStats => ({
  name,
  waiting: 0,
  active: 0,
  delayed: 0,
  completed: 0,
  failed: 0,
  paused: 0,
  isPaused: false,
  workers: 1,
  oldestWaitingMs: null,
  completedLastMinute: 0,
  failedLastMinute: 0,
  needsWorker: false,
  ...over,
});

/** A connection status (or failure) that can be pushed later, and the given queues. */
function fakeApi(initial: ConnectionStatus | ApiError, queues: QueueStats[] = []) {
  let push: ((s: ConnectionStatus) => void) | undefined;
  const api = stubApi({
    getConnectionStatus: () =>
      initial instanceof ApiError ? Promise.reject(initial) : Promise.resolve(initial),
    onConnectionStatus: (onChange) => {
      push = onChange;
      return Promise.resolve(() => {
        push = undefined;
      });
    },
    listQueues: () => Promise.resolve(queues),
    getHealth: () =>
      Promise.resolve({ status: "healthy", reasons: [], redis: connected, queues } as HealthStatus),
    listJobTypes: () => Promise.resolve(generated as Catalogue),
  });
  return { api, push: (s: ConnectionStatus) => push?.(s) };
}

function renderWith(api: Api) {
  return render(
    <ApiProvider api={api}>
      <QueryClientProvider client={new QueryClient()}>
        <Overview />
      </QueryClientProvider>
    </ApiProvider>,
  );
}

describe("Overview", () => {
  it("shows the connection, version, memory and latency", async () => {
    renderWith(fakeApi(connected).api);
    expect(await screen.findByTestId("connection-state")).toHaveTextContent("connected");
    expect(screen.getByTestId("redis-version")).toHaveTextContent("7.0.15");
    expect(screen.getByTestId("redis-mode")).toHaveTextContent("embedded");
    expect(screen.getByTestId("redis-memory")).toHaveTextContent("1.0 MiB (no limit)");
    expect(screen.getByTestId("redis-latency")).toHaveTextContent("0.31 ms");
    expect(screen.getByTestId("redis-clients")).toHaveTextContent("14 of 10000");
    expect(screen.queryByTestId("eviction-warning")).toBeNull();
  });

  it("warns loudly when the eviction policy can drop jobs", async () => {
    renderWith(
      fakeApi({ ...connected, maxmemoryPolicy: "allkeys-lru", evictionWarning: "maxmemory-policy is allkeys-lru: …" }).api,
    );
    expect(await screen.findByTestId("eviction-warning")).toHaveTextContent("allkeys-lru");
  });

  it("follows pushed status changes without polling", async () => {
    const fake = fakeApi(connected);
    renderWith(fake.api);
    await screen.findByText("connected");
    act(() => {
      fake.push({
        ...connected,
        state: "disconnected",
        latencyMs: null,
        error: { code: "unavailable", message: "lost connection to Redis at 127.0.0.1:41519" },
      });
    });
    // TanStack Query notifies on the next tick: wait for the render, not for time.
    expect(await screen.findByText("disconnected")).toHaveAttribute("data-testid", "connection-state");
    expect(screen.getByTestId("connection-error")).toHaveTextContent("lost connection");
  });

  it("says how to fix a configuration error instead of showing connection facts", async () => {
    renderWith(
      fakeApi({
        ...connected,
        state: "failed",
        address: "not configured",
        redisVersion: null,
        error: { code: "invalid_input", message: "QUEUE_MAX_WORKERS=abc (environment): expected …" },
      }).api,
    );
    expect(await screen.findByTestId("connection-error")).toHaveTextContent("QUEUE_MAX_WORKERS=abc");
    expect(screen.getByTestId("config-hint")).toHaveTextContent("antrian config");
    expect(screen.queryByTestId("redis-mode")).toBeNull();
  });

  it("keeps the facts for a failure that is not about configuration", async () => {
    renderWith(
      fakeApi({
        ...connected,
        state: "failed",
        redisVersion: null,
        error: { code: "unavailable", message: "Redis at … rejected the password" },
      }).api,
    );
    expect(await screen.findByTestId("connection-error")).toHaveTextContent("rejected the password");
    expect(screen.getByTestId("redis-mode")).toHaveTextContent("embedded");
    expect(screen.queryByTestId("config-hint")).toBeNull();
  });

  it("shows the error when the transport fails", async () => {
    renderWith(fakeApi(new ApiError("unavailable", "This page is not connected to Antrian")).api);
    expect(await screen.findByTestId("connection-error")).toHaveTextContent("not connected to Antrian");
  });

  it("lists every queue with its counts, paused badge and idle hint", async () => {
    renderWith(
      fakeApi(connected, [
        queue("scraping-queue", { waiting: 12, failed: 3, workers: 0, needsWorker: true, oldestWaitingMs: 95_000 }),
        queue("notifications-queue", { isPaused: true, completedLastMinute: 9, failedLastMinute: 1 }),
        queue("partner-feed", { waiting: 2, workers: 0, needsWorker: true }),
      ]).api,
    );
    const scraping = await screen.findByTestId("queue-scraping-queue");
    expect(scraping).toHaveTextContent("12");
    expect(scraping).toHaveTextContent("1 min 35 s");
    // Antrian's pools serve the seed's queues; a queue of its own needs its own worker.
    await screen.findByText("antrian workers");
    expect(screen.getByTestId("no-worker-scraping-queue")).toHaveTextContent("antrian workers");
    expect(screen.getByTestId("no-worker-partner-feed")).toHaveTextContent("Antrian runs no handler for it");
    const notifications = screen.getByTestId("queue-notifications-queue");
    expect(notifications).toHaveTextContent("paused");
    expect(notifications).toHaveTextContent("9 / 1 (10% failed)");
    expect(screen.queryByTestId("no-worker-notifications-queue")).toBeNull();
  });

  it("fetches the job-type catalogue only when a queue has no worker", async () => {
    let fetched = 0;
    const { api } = fakeApi(connected, [queue("scraping-queue", { waiting: 3 }), queue("partner-feed")]);
    const countingApi: Api = {
      ...api,
      listJobTypes: () => {
        fetched += 1;
        return api.listJobTypes();
      },
    };
    renderWith(countingApi);
    await screen.findByTestId("queue-scraping-queue");
    // Every queue is served: nothing on this page needs the catalogue.
    await act(() => Promise.resolve());
    expect(fetched).toBe(0);
    expect(screen.queryByTestId("no-worker-scraping-queue")).toBeNull();
  });

  it("charts completed and failed per minute, for every queue or one", async () => {
    const minute = (i: number, completed: number, failed: number) => ({ at: 60_000 * (1000 + i), completed, failed });
    const api = stubApi({
      getConnectionStatus: () => Promise.resolve(connected),
      listQueues: () => Promise.resolve([]),
      getHealth: () => Promise.resolve({ status: "healthy", reasons: [], redis: connected, queues: [] } as HealthStatus),
      listThroughput: (minutes) => {
        expect(minutes).toBe(60);
        return Promise.resolve([
          { queue: "scraping-queue", minutes: [minute(0, 5, 1), minute(1, 0, 0), minute(2, 7, 2)] },
          { queue: "cleanup-queue", minutes: [minute(0, 1, 0), minute(1, 0, 0), minute(2, 0, 0)] },
        ]);
      },
    });
    renderWith(api);
    const chart = await screen.findByRole("img", { name: /completed and .* failed/ });
    expect(chart).toHaveAccessibleName("13 completed and 3 failed in the last 3 minutes");
    expect(screen.getAllByTestId("throughput-minute")[0]).toHaveTextContent("6 completed, 1 failed");
    fireEvent.change(screen.getByLabelText("Chart queue"), { target: { value: "cleanup-queue" } });
    expect(chart).toHaveAccessibleName("1 completed and 0 failed in the last 3 minutes");
  });

  it("sorts by failed when asked", async () => {
    renderWith(
      fakeApi(connected, [queue("a-queue", { failed: 1 }), queue("b-queue", { failed: 7 })]).api,
    );
    await screen.findByTestId("queue-table");
    const names = () => screen.getAllByRole("row").slice(1).map((r) => r.getAttribute("data-testid"));
    expect(names()).toEqual(["queue-a-queue", "queue-b-queue"]);
    fireEvent.click(screen.getByRole("button", { name: "Failed" }));
    expect(names()).toEqual(["queue-b-queue", "queue-a-queue"]);
  });
});
