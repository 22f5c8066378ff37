import { lazy, Suspense } from "react";
import { describe, expect, it, vi } from "vitest";
import { render, screen } from "@testing-library/react";

import { PageBoundary } from "./PageBoundary";

describe("PageBoundary", () => {
  it("shows why a page's code could not be loaded, with a way to reload", async () => {
    // What a browser reports when the dashboard's server is gone as a page is first opened.
    const Page = lazy(() => Promise.reject(new TypeError("Failed to fetch dynamically imported module")));
    const quiet = vi.spyOn(console, "error").mockImplementation(() => {});
    render(
      <div>
        <nav>sidebar</nav>
        <PageBoundary>
          <Suspense fallback={<p>Loading…</p>}>
            <Page />
          </Suspense>
        </PageBoundary>
      </div>,
    );
    expect(await screen.findByRole("alert")).toHaveTextContent(
      "This page could not be shown: Failed to fetch dynamically imported module",
    );
    expect(screen.getByRole("button", { name: "Reload" })).toBeInTheDocument();
    expect(screen.getByText("sidebar")).toBeInTheDocument();
    quiet.mockRestore();
  });

  it("shows the page itself when nothing fails", () => {
    render(
      <PageBoundary>
        <main>the page</main>
      </PageBoundary>,
    );
    expect(screen.getByText("the page")).toBeInTheDocument();
    expect(screen.queryByRole("alert")).toBeNull();
  });
});
