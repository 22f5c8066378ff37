import { describe, expect, it } from "vitest";

import { compareNames, formatBytes, formatDuration, formatLatency, formatRelative } from "./format";

describe("formatBytes", () => {
  it("scales to binary units", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(1_048_576)).toBe("1.0 MiB");
    expect(formatBytes(250 * 1024 * 1024)).toBe("250 MiB");
  });
});

describe("formatLatency", () => {
  it("keeps two decimals below 10 ms", () => {
    expect(formatLatency(0.4321)).toBe("0.43 ms");
    expect(formatLatency(42.6)).toBe("43 ms");
  });
});

describe("formatDuration", () => {
  it("picks the two largest units that matter", () => {
    expect(formatDuration(450)).toBe("450 ms");
    expect(formatDuration(42_000)).toBe("42 s");
    expect(formatDuration(95_000)).toBe("1 min 35 s");
    expect(formatDuration(120_000)).toBe("2 min");
    expect(formatDuration(3_700_000)).toBe("1 h 1 min");
    expect(formatDuration(5 * 86_400_000)).toBe("5 d");
  });
});

describe("formatRelative", () => {
  it("says ago or in", () => {
    expect(formatRelative(1_000_000, 1_000_400)).toBe("just now");
    expect(formatRelative(1_000_000, 1_180_000)).toBe("3 min ago");
    expect(formatRelative(1_000_000 + 7_200_000, 1_000_000)).toBe("in 2 h");
  });

  it("never puts an event in the future or a due time in the past", () => {
    // The page clock lags: a job that started after its last tick is still "just now".
    expect(formatRelative(1_005_000, 1_000_000, "past")).toBe("just now");
    expect(formatRelative(1_000_000, 1_180_000, "past")).toBe("3 min ago");
    expect(formatRelative(1_000_000, 1_005_000, "future")).toBe("just now");
    expect(formatRelative(1_060_000, 1_000_000, "future")).toBe("in 1 min");
  });
});

describe("compareNames", () => {
  it("orders names case-insensitively, then by code unit", () => {
    const names = ["scraping-queue", "Zeta", "alpha", "cleanup-queue", "Alpha", "data-processing-queue"];
    expect([...names].sort(compareNames)).toEqual([
      "Alpha",
      "alpha",
      "cleanup-queue",
      "data-processing-queue",
      "scraping-queue",
      "Zeta",
    ]);
    expect(compareNames("queue", "queue")).toBe(0);
  });
});
