import { act, render } from "@testing-library/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { afterEach, describe, expect, it, vi } from "vitest";

import { ApiProvider, type QueueEvent } from "../api";
import { fakeApi } from "../test/fakeApi";
import { live, REFRESH_EVERY_MS, staleKeys, useLiveUpdates } from "./useLiveUpdates";

function Live() {
  useLiveUpdates();
  return null;
}

function setup() {
  let emit: (e: QueueEvent) => void = () => undefined;
  const api = fakeApi({
    onEvent: (onEvent) => {
      emit = onEvent;
      return Promise.resolve(() => undefined);
    },
  });
  const client = new QueryClient();
  const invalidate = vi.spyOn(client, "invalidateQueries");
  render(
    <ApiProvider api={api}>
      <QueryClientProvider client={client}>
        <Live />
      </QueryClientProvider>
    </ApiProvider>,
  );
  return { emit: (e: QueueEvent) => emit(e), invalidate };
}

const completed: QueueEvent = { event: "job:completed", queue: "scraping-queue", jobId: "1", returnValue: null };

afterEach(() => {
  vi.useRealTimers();
  live.set(true);
});

describe("live updates", () => {
  it("map each event to the views it changes", () => {
    expect(staleKeys(completed)).toEqual([
      ["queues"],
      ["jobs", "scraping-queue"],
      ["job", "scraping-queue", "1"],
      ["throughput"],
    ]);
    expect(staleKeys({ event: "job:added", queue: "q", jobId: "2", name: "tick" })).toEqual([
      ["queues"],
      ["jobs", "q"],
      ["job", "q", "2"],
    ]);
    expect(staleKeys({ event: "queue:paused", queue: "q" })).toEqual([["queues"], ["jobs", "q"]]);
    expect(staleKeys({ event: "missed", count: 3 })).toEqual([[]]);
    // A pool wrote the counts the finished-jobs chart reads.
    expect(staleKeys({ event: "queue:metrics", queue: "q", completed: 40, failed: 1 })).toEqual([
      ["throughput"],
    ]);
  });

  it("refresh at most once per interval however many events arrive", async () => {
    vi.useFakeTimers();
    const { emit, invalidate } = setup();
    await act(() => Promise.resolve());
    for (let i = 0; i < 100; i++) emit({ ...completed, jobId: String(i % 2) });
    expect(invalidate).not.toHaveBeenCalled();
    act(() => vi.advanceTimersByTime(REFRESH_EVERY_MS));
    // queues, the queue's jobs, the two jobs and the throughput chart: each once.
    expect(invalidate).toHaveBeenCalledTimes(5);
  });

  it("stay quiet while the window is hidden and catch up when it shows", async () => {
    vi.useFakeTimers();
    const { emit, invalidate } = setup();
    await act(() => Promise.resolve());
    const hidden = vi.spyOn(document, "hidden", "get").mockReturnValue(true);
    emit(completed);
    act(() => vi.advanceTimersByTime(REFRESH_EVERY_MS * 5));
    expect(invalidate).not.toHaveBeenCalled();
    hidden.mockReturnValue(false);
    act(() => {
      document.dispatchEvent(new Event("visibilitychange"));
    });
    expect(invalidate).toHaveBeenCalledTimes(4);
  });

  it("do nothing when turned off", async () => {
    vi.useFakeTimers();
    live.set(false);
    const { emit, invalidate } = setup();
    await act(() => Promise.resolve());
    emit(completed);
    act(() => vi.advanceTimersByTime(REFRESH_EVERY_MS * 2));
    expect(invalidate).not.toHaveBeenCalled();
  });
});
