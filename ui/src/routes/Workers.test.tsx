import { fireEvent, screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

import type { NodeInfo, ScalingRecord, ScalingRules, TypeStats } from "../api";
import { fakeApi } from "../test/fakeApi";
import { renderWith } from "../test/render";
import { describeRules, poolsIn, Workers } from "./Workers";

const rules: ScalingRules = {
  enabled: true,
  minWorkers: 2,
  maxWorkers: 20,
  scaleUpThreshold: 10,
  scaleDownThreshold: 2,
  cooldownMs: 300_000,
};

const decision = (atMs: number, workerType: string, from: number, to: number, waiting: number): ScalingRecord => ({
  atMs,
  node: "desk-1",
  workerType,
  queue: `${workerType}-queue`,
  from,
  to,
  waiting,
  reason: `${String(waiting)} jobs waiting`,
});

const scraping: TypeStats = { workers: 2, concurrency: 5, active: 3, processed: 120, failed: 4, avgDurationMs: 800, p95DurationMs: 2100, utilisation: 0.3, uptimeMs: 60_000, pinned: false, minSize: 2, maxSize: 20, sizeHint: "2 to 20 workers, or 0 to stop the pool" };

const node: NodeInfo = {
  id: "worker-1-4242",
  host: "worker-1",
  version: "0.1.0",
  pools: { scraping: 2 },
  stats: {
    totalWorkers: 2,
    totalActive: 3,
    byType: {
      scraping,
    },
  },
  startedAtMs: Date.now() - 60_000,
  heartbeatMs: Date.now() - 2_000,
  alive: true,
};

describe("the workers page", () => {
  it("shows pools with utilisation and scales one", async () => {
    const sendNodeCommand = vi.fn(() => Promise.resolve({ ok: true, message: "scraping: 2 → 4 workers" }));
    renderWith(
      fakeApi({ listNodes: () => Promise.resolve([node]), listScalingLog: () => Promise.resolve([]), sendNodeCommand }),
      <Workers />,
    );
    const pool = await screen.findByTestId("pool-scraping");
    expect(pool).toHaveTextContent("30%");
    expect(pool).toHaveTextContent("120 / 4");
    fireEvent.change(screen.getByLabelText("scraping workers"), { target: { value: "4" } });
    fireEvent.click(screen.getByRole("button", { name: "Scale" }));
    await waitFor(() =>
      expect(sendNodeCommand).toHaveBeenCalledWith("worker-1-4242", { command: "scale", workerType: "scraping", workers: 4 }),
    );
    expect(await screen.findByText("scraping: 2 → 4 workers")).toBeInTheDocument();
  });

  it("shows a pool sized by hand as pinned, hands it back, and asks for a whole number", async () => {
    const sendNodeCommand = vi.fn(() => Promise.resolve({ ok: true, message: "scraping pool scales automatically again" }));
    const pinned: NodeInfo = {
      ...node,
      stats: { ...node.stats, byType: { scraping: { ...scraping, pinned: true } } },
    };
    renderWith(
      fakeApi({ listNodes: () => Promise.resolve([pinned]), listScalingLog: () => Promise.resolve([]), sendNodeCommand }),
      <Workers />,
    );
    const pool = await screen.findByTestId("pool-scraping");
    expect(pool).toHaveTextContent("pinned");
    fireEvent.change(screen.getByLabelText("scraping workers"), { target: { value: "abc" } });
    fireEvent.click(screen.getByRole("button", { name: "Scale" }));
    expect(await screen.findByText(/give a whole number of workers \(2 to 20 workers, or 0 to stop the pool\)/)).toBeInTheDocument();
    expect(sendNodeCommand).not.toHaveBeenCalled();
    fireEvent.click(screen.getByRole("button", { name: "Auto" }));
    await waitFor(() =>
      expect(sendNodeCommand).toHaveBeenCalledWith("worker-1-4242", { command: "auto", workerType: "scraping" }),
    );
  });

  it("says how to start a node when there is none", async () => {
    renderWith(fakeApi({ listNodes: () => Promise.resolve([]), listScalingLog: () => Promise.resolve([]) }), <Workers />);
    expect(await screen.findByTestId("no-nodes")).toHaveTextContent("antrian workers");
  });

  it("states the scaling rules and charts each pool's size against the depth it decided on", async () => {
    expect(describeRules({ ...rules, enabled: false })).toContain("Off");
    expect(describeRules(rules)).toBe(
      "On: 2–20 workers per pool; more when over 10 jobs wait (one per 10 waiting), one fewer when under 2 wait; at most one change per 5 min.",
    );
    // The log is newest first.
    const log = [
      decision(3000, "scraping", 6, 5, 0),
      decision(2500, "cleanup", 2, 3, 25),
      decision(2000, "scraping", 2, 6, 60),
    ];
    expect(poolsIn(log).map(([pool, records]) => [pool, records.length])).toEqual([["cleanup", 1], ["scraping", 2]]);
    renderWith(
      fakeApi({ listNodes: () => Promise.resolve([]), listScalingLog: () => Promise.resolve(log), getScalingRules: () => Promise.resolve(rules) }),
      <Workers />,
    );
    expect(await screen.findByTestId("scaling-rules")).toHaveTextContent("2–20 workers per pool");
    const chart = screen.getByTestId("scaling-chart-scraping");
    expect(chart.querySelector("svg")).toHaveAccessibleName(
      "2 decisions: pool size 2 to 5 workers (most 6), queue depth up to 60 waiting",
    );
    expect(chart.querySelectorAll("circle")).toHaveLength(2);
    expect(chart).toHaveTextContent("60 waiting, 2 → 6 workers");
    expect(screen.getByTestId("scaling-log")).toHaveTextContent("2 → 6");
  });
});
