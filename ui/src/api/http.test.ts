import { afterEach, describe, expect, it, vi } from "vitest";

import type { ConnectionStatus, HealthStatus } from "./index";
import { httpApi } from "./http";

const connected: ConnectionStatus = {
  state: "connected",
  mode: "external",
  address: "redis://127.0.0.1:6379",
  redisVersion: "7.0.15",
  usedMemoryBytes: 1_048_576,
  maxMemoryBytes: 0,
  maxmemoryPolicy: "noeviction",
  connectedClients: 4,
  maxClients: 10000,
  evictionWarning: null,
  latencyMs: 0.4,
  error: null,
  checkedAtMs: 1_000,
};

/** A stand-in for the browser's EventSource (jsdom has none): the test fires its events. */
class FakeSource extends EventTarget {
  static last: FakeSource | null = null;
  constructor(readonly url: string) {
    super();
    FakeSource.last = this;
  }
  close() {}
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("the HTTP adapter's connection state", () => {
  it("turns disconnected when the dashboard stops answering, and back when it returns", async () => {
    const health = (): HealthStatus => ({ status: "healthy", reasons: [], redis: connected, queues: [] });
    const fetch = vi.fn(() => Promise.resolve(new Response(JSON.stringify(health()), { status: 200 })));
    vi.stubGlobal("fetch", fetch);
    vi.stubGlobal("EventSource", FakeSource);
    const api = httpApi("");
    expect((await api.getConnectionStatus()).state).toBe("connected");
    const seen: ConnectionStatus[] = [];
    await api.onConnectionStatus((s) => seen.push(s));
    const source = FakeSource.last;
    expect(source?.url).toBe("/api/events");

    source?.dispatchEvent(new Event("error"));
    expect(seen.at(-1)?.state).toBe("disconnected");
    expect(seen.at(-1)?.error?.message).toContain("The dashboard does not answer");
    source?.dispatchEvent(new Event("error"));
    expect(seen).toHaveLength(1);

    source?.dispatchEvent(new Event("open"));
    await vi.waitFor(() => expect(seen.at(-1)?.state).toBe("connected"));
    expect(fetch).toHaveBeenCalledTimes(2);
  });
});
