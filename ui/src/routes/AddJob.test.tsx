import { fireEvent, screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

import { ApiError, type AddedJob, type NewJob } from "../api";
import { parseRoute } from "../hooks/useRoute";
import { fakeApi } from "../test/fakeApi";
import { renderWith } from "../test/render";
import { AddJob } from "./AddJob";

const added = (queue: string, job: NewJob, id: string): AddedJob => ({ queue, id, name: job.name, duplicate: false });

describe("the add-job page", () => {
  it("adds one product-scraping job per URL and links to each", async () => {
    let n = 0;
    const addJob = vi.fn((queue: string, job: NewJob) => Promise.resolve(added(queue, job, String(++n))));
    renderWith(fakeApi({ addJob, listQueues: () => Promise.resolve([]) }), <AddJob route={parseRoute("#/add-job")} />);
    fireEvent.change(screen.getByLabelText(/Product URLs/), {
      target: { value: "https://shopee.co.id/product/1/2\nhttps://shopee.co.id/product/3/4" },
    });
    fireEvent.change(screen.getByLabelText("Account"), { target: { value: "user123" } });
    fireEvent.change(screen.getByLabelText("Priority"), { target: { value: "high" } });
    fireEvent.click(screen.getByRole("button", { name: "Add job" }));
    expect(await screen.findByTestId("added")).toHaveTextContent("Added 2 jobs");
    expect(addJob).toHaveBeenNthCalledWith(1, "scraping-queue", {
      name: "product-scraping",
      data: { url: "https://shopee.co.id/product/1/2", accountId: "user123", options: { useProxy: false } },
      opts: { priority: "high" },
    });
    expect(screen.getByRole("link", { name: "product-scraping #2" })).toHaveAttribute("href", "#/queues/scraping-queue/jobs/2");
  });

  it("shows core's refusal, naming the field, and adds nothing", async () => {
    const addJob = vi.fn(() => Promise.reject(new ApiError("invalid_input", "url: `not a url` is not an http(s) URL")));
    renderWith(fakeApi({ addJob, listQueues: () => Promise.resolve([]) }), <AddJob route={parseRoute("#/add-job")} />);
    fireEvent.change(screen.getByLabelText(/Product URLs/), { target: { value: "not a url" } });
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
        finishedOn: null, returnValue: null, failedReason: "x", stacktrace: [], logs: [],
      }),
    );
    renderWith(
      fakeApi({ addJob, getJob, listQueues: () => Promise.resolve([]) }),
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

  it("refuses data that is not a JSON object before sending anything", async () => {
    const addJob = vi.fn();
    renderWith(fakeApi({ addJob, listQueues: () => Promise.resolve([]) }), <AddJob route={parseRoute("#/add-job")} />);
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
    renderWith(fakeApi({ addJob, checkJob, listQueues: () => Promise.resolve([]) }), <AddJob route={parseRoute("#/add-job")} />);
    const urls = screen.getByLabelText(/Product URLs/);
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
    // A field left empty is named by the form itself, before asking core.
    fireEvent.change(urls, { target: { value: "" } });
    await waitFor(() => expect(urls).toHaveAccessibleDescription("Product URLs (one per line: one job each): required"));
  });
});
