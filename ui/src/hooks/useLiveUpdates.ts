import { useEffect, useSyncExternalStore } from "react";
import { useQueryClient, type QueryClient } from "@tanstack/react-query";

import { useApi, type QueueEvent } from "../api";

/** How often at most pushed events refresh what is on screen. */
export const REFRESH_EVERY_MS = 1000;

const LIVE_KEY = "antrian.live";

/** Whether live updates are on (the refresh selector; kept per browser). */
export const live = {
  get(): boolean {
    return localStorage.getItem(LIVE_KEY) !== "off";
  },
  set(on: boolean) {
    localStorage.setItem(LIVE_KEY, on ? "on" : "off");
    window.dispatchEvent(new Event("antrian-live"));
  },
  subscribe(onChange: () => void) {
    window.addEventListener("antrian-live", onChange);
    return () => window.removeEventListener("antrian-live", onChange);
  },
};

export function useLive(): boolean {
  return useSyncExternalStore(live.subscribe, live.get);
}

/** Which cached queries an event makes stale. */
export function staleKeys(event: QueueEvent): string[][] {
  switch (event.event) {
    case "job:completed":
    case "job:failed":
      return [
        ["queues"],
        ["jobs", event.queue],
        ["job", event.queue, event.jobId],
        ["throughput"],
      ];
    case "job:added":
    case "job:active":
    case "job:stalled":
    case "job:delayed":
    case "job:removed":
    case "job:progress":
      return [["queues"], ["jobs", event.queue], ["job", event.queue, event.jobId]];
    case "queue:paused":
    case "queue:resumed":
      return [["queues"], ["jobs", event.queue]];
    case "queue:metrics":
      return [["throughput"]];
    case "schedule:fired":
      return [["schedules"], ["queues"], ["jobs", event.queue]];
    case "health:check":
      return [["health"], ["queues"]];
    case "scaling:up":
    case "scaling:down":
      return [["workers"]];
    case "missed":
      return [[]];
  }
}

/**
 * Keeps what is on screen current from pushed events, with no polling: stale queries are
 * collected and refetched at most every {@link REFRESH_EVERY_MS}; nothing refetches while
 * the window is hidden or live updates are off, and everything does when it shows again.
 */
export function useLiveUpdates() {
  const api = useApi();
  const client = useQueryClient();
  const on = useLive();
  useEffect(() => {
    if (!on) return;
    const pending = new Map<string, string[]>();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = () => {
      timer = undefined;
      if (document.hidden) return;
      refresh(client, [...pending.values()]);
      pending.clear();
    };
    const onVisible = () => {
      if (!document.hidden && pending.size > 0) flush();
    };
    let stop: (() => void) | undefined;
    let cancelled = false;
    void api
      .onEvent((event) => {
        for (const key of staleKeys(event)) pending.set(JSON.stringify(key), key);
        timer ??= setTimeout(flush, REFRESH_EVERY_MS);
      })
      .then((unsubscribe) => {
        if (cancelled) unsubscribe();
        else stop = unsubscribe;
      });
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      cancelled = true;
      stop?.();
      if (timer !== undefined) clearTimeout(timer);
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, [api, client, on]);
}

function refresh(client: QueryClient, keys: string[][]) {
  for (const queryKey of keys) void client.invalidateQueries({ queryKey });
}
