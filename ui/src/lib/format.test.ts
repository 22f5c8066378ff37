import { describe, expect, it } from "vitest";

import { formatBytes, formatLatency } from "./format";

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
