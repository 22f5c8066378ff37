import { describe, expect, it } from "vitest";

import { bucket } from "./ThroughputChart";

describe("the throughput chart's bars", () => {
  it("add minutes up into wider bars, the newest one ending now", () => {
    const minutes = [1, 2, 3, 4, 5].map((i) => ({ at: i * 60_000, completed: i, failed: i % 2 }));
    expect(bucket(minutes, 1)).toBe(minutes);
    expect(bucket(minutes, 2)).toEqual([
      { at: 60_000, completed: 1, failed: 1 },
      { at: 120_000, completed: 5, failed: 1 },
      { at: 240_000, completed: 9, failed: 1 },
    ]);
  });
});
