import { fireEvent, screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

import type { NodeInfo } from "../api";
import { fakeApi } from "../test/fakeApi";
import { renderWith } from "../test/render";
import { Workers } from "./Workers";

const node: NodeInfo = {
  id: "worker-1-4242",
  host: "worker-1",
  version: "0.1.0",
  pools: { scraping: 2 },
  stats: {
    totalWorkers: 2,
    totalActive: 3,
    byType: {
      scraping: { workers: 2, concurrency: 5, active: 3, processed: 120, failed: 4, avgDurationMs: 800, p95DurationMs: 2100, utilisation: 0.3, uptimeMs: 60_000 },
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

  it("says how to start a node when there is none", async () => {
    renderWith(fakeApi({ listNodes: () => Promise.resolve([]), listScalingLog: () => Promise.resolve([]) }), <Workers />);
    expect(await screen.findByTestId("no-nodes")).toHaveTextContent("antrian workers");
  });
});
