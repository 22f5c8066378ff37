import { describe, expect, it } from "vitest";

import { buildData, buildOptions, fieldOf, initialValues, JOB_TYPES } from "./jobTypes";

const type = (name: string) => {
  const t = JOB_TYPES.find((x) => x.name === name);
  if (!t) throw new Error(name);
  return t;
};

describe("add-job forms", () => {
  it("cover every seed job type", () => {
    expect(JOB_TYPES.map((t) => `${t.queue}/${t.name}`)).toEqual([
      "scraping-queue/product-scraping",
      "scraping-queue/shop-scraping",
      "scraping-queue/order-scraping",
      "scraping-queue/batch-scraping",
      "data-processing-queue/save-product-data",
      "data-processing-queue/validate-data",
      "notifications-queue/send-email",
      "notifications-queue/send-webhook",
      "cleanup-queue/cleanup-old-data",
      "cleanup-queue/cleanup-temp-files",
    ]);
  });

  it("make one product-scraping job per URL with the seed's fields", () => {
    const t = type("product-scraping");
    const data = buildData(t, {
      ...initialValues(t),
      url: "https://shopee.co.id/product/1/2\n\n https://shopee.co.id/product/3/4 ",
      accountId: "user123",
      "options.useProxy": true,
    });
    expect(data).toEqual([
      { url: "https://shopee.co.id/product/1/2", accountId: "user123", options: { useProxy: true } },
      { url: "https://shopee.co.id/product/3/4", accountId: "user123", options: { useProxy: true } },
    ]);
  });

  it("build nested and list fields", () => {
    expect(buildData(type("order-scraping"), { accountId: "u", "dateRange.start": "2024-01-01", "dateRange.end": "2024-01-31" })).toEqual([
      { accountId: "u", dateRange: { start: "2024-01-01", end: "2024-01-31" } },
    ]);
    const batch = buildData(type("batch-scraping"), { urls: "a\nb", accountId: "", "options.concurrency": "3" });
    expect(batch).toEqual([{ urls: ["a", "b"], options: { concurrency: 3 } }]);
  });

  it("name the field that cannot be read", () => {
    expect(() => buildData(type("shop-scraping"), { shopUrl: " " })).toThrow("Shop URL: required");
    expect(() => buildData(type("save-product-data"), { productData: "[{" })).toThrow(/Products \(JSON array\): not JSON/);
    expect(() => buildData(type("cleanup-old-data"), { ...initialValues(type("cleanup-old-data")), olderThan: "ten" })).toThrow(
      "Older than (days): ten is not a number",
    );
  });

  it("turn the common fields into core's job options", () => {
    expect(buildOptions({ priority: "", delaySeconds: "", attempts: "", backoff: "", backoffMs: "" })).toEqual({});
    expect(buildOptions({ priority: "high", delaySeconds: "1.5", attempts: "5", backoff: "exponential", backoffMs: "2000" })).toEqual({
      priority: "high",
      delay: 1500,
      attempts: 5,
      backoff: { type: "exponential", delay: 2000 },
    });
    expect(() => buildOptions({ priority: "", delaySeconds: "-1", attempts: "", backoff: "", backoffMs: "" })).toThrow("Delay");
  });

  it("finds the field a message is about, by label or by data path", () => {
    const batch = type("batch-scraping");
    expect(fieldOf(batch, "invalid batch-scraping data: options.concurrency must be from 1 to 20, not 50")).toBe("options.concurrency");
    expect(fieldOf(batch, "URLs (paste a list, one per line): required")).toBe("urls");
    expect(fieldOf(batch, "data: too big")).toBeUndefined();
    // `to` is too common a word to tell: the message stays with the form.
    expect(fieldOf(type("send-email"), "data: invalid send-email data: from 1 to 3 recipients")).toBeUndefined();
    expect(fieldOf(type("send-email"), "data: invalid send-email data: `data` must be an object")).toBe("data");
  });
});
