import { fireEvent, screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

import { ApiError, type AddedJob, type Catalogue, type NewJob } from "../api";
import generated from "../api/generated/catalogue.json";
import { parseRoute } from "../hooks/useRoute";
import { fakeApi } from "../test/fakeApi";
import { renderWith } from "../test/render";
import { AddJob } from "./AddJob";

const added = (queue: string, job: NewJob, id: string): AddedJob => ({ queue, id, name: job.name, duplicate: false });

/** The catalogue as Rust writes it (`cargo test -p antrian-jobs`), never one made up here. */
const catalogue = generated as Catalogue;
const listJobTypes = () => Promise.resolve(catalogue);

describe("the add-job page", () => {
  it("adds one product-scraping job per URL and links to each", async () => {
    let n = 0;
    const addJob = vi.fn((queue: string, job: NewJob) => Promise.resolve(added(queue, job, String(++n))));
    renderWith(fakeApi({ addJob, listJobTypes, listQueues: () => Promise.resolve([]) }), <AddJob route={parseRoute("#/add-job")} />);
    fireEvent.change(await screen.findByLabelText(/Product URL/), {
      target: { value: "https://shopee.co.id/product/1/2\nhttps://shopee.co.id/product/3/4" },
    });
    fireEvent.change(screen.getByLabelText("Account"), { target: { value: "user123" } });
    fireEvent.click(screen.getByLabelText("Use proxy"));
    fireEvent.change(screen.getByLabelText("Priority"), { target: { value: "high" } });
    fireEvent.change(screen.getByLabelText("Backoff"), { target: { value: "exponential" } });
    fireEvent.change(screen.getByLabelText("Backoff delay (ms)"), { target: { value: "2000" } });
    fireEvent.change(screen.getByLabelText("Factor"), { target: { value: "3" } });
    fireEvent.change(screen.getByLabelText("Max delay (ms)"), { target: { value: "30000" } });
    fireEvent.click(screen.getByRole("button", { name: "Add job" }));
    expect(await screen.findByTestId("added")).toHaveTextContent("Added 2 jobs");
    expect(addJob).toHaveBeenNthCalledWith(1, "scraping-queue", {
      name: "product-scraping",
      data: { url: "https://shopee.co.id/product/1/2", accountId: "user123", options: { useProxy: true } },
      opts: { priority: "high", backoff: { type: "exponential", delay: 2000, factor: 3, maxDelay: 30000 } },
    });
    // The form starts afresh: a second click would not add the same jobs again.
    expect(screen.getByLabelText(/Product URL/)).toHaveValue("");
    expect(screen.getByRole("link", { name: "product-scraping #2" })).toHaveAttribute("href", "#/queues/scraping-queue/jobs/2");
  });

  it("shows core's refusal, naming the field, and adds nothing", async () => {
    const addJob = vi.fn(() => Promise.reject(new ApiError("invalid_input", "url: `not a url` is not an http(s) URL")));
    renderWith(fakeApi({ addJob, listJobTypes, listQueues: () => Promise.resolve([]) }), <AddJob route={parseRoute("#/add-job")} />);
    fireEvent.change(await screen.findByLabelText(/Product URL/), { target: { value: "not a url" } });
    fireEvent.click(screen.getByRole("button", { name: "Add job" }));
    expect(await screen.findByTestId("add-error")).toHaveTextContent("url: `not a url` is not an http(s) URL");
    expect(screen.queryByTestId("added")).toBeNull();
  });

  it("duplicates a job in the JSON editor", async () => {
    const addJob = vi.fn((queue: string, job: NewJob) => Promise.resolve(added(queue, job, "7")));
    const getJob = vi.fn(() =>
      Promise.resolve({
        queue: "notifications-queue", id: "3", name: "send-email", data: { to: "a@example.com", subject: "s" },
        options: {}, state: "failed" as const, progress: 0, attemptsMade: 1, timestamp: 0, processedOn: null,
        finishedOn: null, returnValue: null, failedReason: "x", stacktrace: [], logs: [], parent: null, children: [], childrenTotal: 0,
      }),
    );
    renderWith(
      fakeApi({ addJob, getJob, listJobTypes, listQueues: () => Promise.resolve([]) }),
      <AddJob route={parseRoute("#/add-job?queue=notifications-queue&from=3")} />,
    );
    await waitFor(() => expect(screen.getByLabelText("Job name")).toHaveValue("send-email"));
    fireEvent.change(screen.getByLabelText("Data (JSON object)"), { target: { value: '{"to": "b@example.com", "subject": "s"}' } });
    fireEvent.click(screen.getByRole("button", { name: "Add job" }));
    await screen.findByTestId("added");
    expect(addJob).toHaveBeenCalledWith("notifications-queue", {
      name: "send-email",
      data: { to: "b@example.com", subject: "s" },
      opts: {},
    });
  });

  it("starts the JSON editor from the chosen job type's example", async () => {
    renderWith(fakeApi({ listJobTypes, listQueues: () => Promise.resolve([]) }), <AddJob route={parseRoute("#/add-job?queue=data-processing-queue")} />);
    await screen.findByLabelText("Job type");
    fireEvent.click(screen.getByRole("button", { name: "JSON" }));
    const type = (generated as Catalogue).jobTypes.find((t) => t.queue === "data-processing-queue");
    expect(screen.getByLabelText("Queue")).toHaveValue("data-processing-queue");
    expect(screen.getByLabelText("Job name")).toHaveValue(type?.name);
    expect(JSON.parse((screen.getByLabelText("Data (JSON object)") as HTMLTextAreaElement).value)).toEqual(type?.example);
  });

  it("refuses data that is not a JSON object before sending anything", async () => {
    const addJob = vi.fn();
    renderWith(fakeApi({ addJob, listJobTypes, listQueues: () => Promise.resolve([]) }), <AddJob route={parseRoute("#/add-job")} />);
    fireEvent.click(screen.getByRole("button", { name: "JSON" }));
    fireEvent.change(screen.getByLabelText("Job name"), { target: { value: "x" } });
    fireEvent.change(screen.getByLabelText("Data (JSON object)"), { target: { value: "[1]" } });
    fireEvent.click(screen.getByRole("button", { name: "Add job" }));
    expect(await screen.findByTestId("add-error")).toHaveTextContent("Data: must be a JSON object");
    expect(addJob).not.toHaveBeenCalled();
  });

  it("checks the form with core's rules as the user types, beside the field it is about", async () => {
    const checkJob = vi.fn((_queue: string, job: NewJob) => {
      const url = String(job.data.url);
      return url.startsWith("https://")
        ? Promise.resolve()
        : Promise.reject(new ApiError("invalid_input", `data: invalid product-scraping data: url \`${url}\` uses \`ftp:\`; only http and https pages can be scraped`));
    });
    const addJob = vi.fn();
    renderWith(fakeApi({ addJob, checkJob, listJobTypes, listQueues: () => Promise.resolve([]) }), <AddJob route={parseRoute("#/add-job")} />);
    const urls = await screen.findByLabelText(/Product URL/);
    // Nothing is said before the user types.
    expect(screen.getByTestId("check-state")).toHaveTextContent("");
    fireEvent.change(urls, { target: { value: "https://shop.example/p/1\nftp://shop.example/p/2" } });
    await waitFor(() => expect(urls).toHaveAttribute("aria-invalid", "true"));
    expect(urls).toHaveAccessibleDescription(/url `ftp:\/\/shop.example\/p\/2` uses `ftp:`/);
    // Each URL's job is checked, in order, and nothing is added.
    expect(checkJob.mock.calls.map((c) => (c[1] as NewJob).data.url)).toEqual([
      "https://shop.example/p/1",
      "ftp://shop.example/p/2",
    ]);
    expect(addJob).not.toHaveBeenCalled();
    fireEvent.change(urls, { target: { value: "https://shop.example/p/1" } });
    expect(await screen.findByText("✓ Antrian accepts this job.")).toBeInTheDocument();
    expect(urls).not.toHaveAttribute("aria-invalid");
    // A number box that holds no number is named by the form itself, before asking core.
    fireEvent.change(screen.getByLabelText("Attempts"), { target: { value: "three" } });
    expect(await screen.findByTestId("check-error")).toHaveTextContent("Attempts: “three” is not a number");
  });

  it("renders every catalogue type's fields from its schema, with a batch's type as a choice", async () => {
    const checkJob = vi.fn(() => Promise.resolve());
    const addJob = vi.fn((queue: string, job: NewJob) => Promise.resolve(added(queue, job, "9")));
    renderWith(fakeApi({ addJob, checkJob, listJobTypes, listQueues: () => Promise.resolve([]) }), <AddJob route={parseRoute("#/add-job")} />);
    const select = await screen.findByLabelText("Job type");
    expect(Array.from((select as HTMLSelectElement).options).map((o) => o.value)).toEqual(
      catalogue.jobTypes.map((t) => `${t.queue}/${t.name}`),
    );
    fireEvent.change(select, { target: { value: "scraping-queue/batch-scraping" } });
    fireEvent.change(screen.getByLabelText(/^URLs/), { target: { value: "https://shopee.co.id/product/1/2\nhttps://shopee.co.id/product/3/4" } });
    const kind = screen.getByLabelText(/^Type/);
    expect(Array.from((kind as HTMLSelectElement).options).map((o) => o.value)).toEqual(["", "product", "shop"]);
    fireEvent.change(kind, { target: { value: "product" } });
    fireEvent.change(screen.getByLabelText("Concurrency"), { target: { value: "2" } });
    fireEvent.click(screen.getByRole("button", { name: "Add job" }));
    await screen.findByTestId("added");
    expect(addJob).toHaveBeenCalledWith("scraping-queue", {
      name: "batch-scraping",
      data: { urls: ["https://shopee.co.id/product/1/2", "https://shopee.co.id/product/3/4"], type: "product", options: { concurrency: 2 } },
      opts: {},
    });
  });
});
