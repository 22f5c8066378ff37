import { fireEvent, screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

import type { ProductQuery } from "../api";
import { fakeApi } from "../test/fakeApi";
import { renderWith } from "../test/render";
import { Results, siteRates } from "./Results";

describe("the results page", () => {
  it("computes success and blocked shares per site", () => {
    expect(siteRates({ host: "a", counts: { success: 6, blocked_403: 1, blocked_429: 1, status_500: 2 } })).toEqual({
      total: 10, success: 0.6, blocked: 0.2,
    });
    expect(siteRates({ host: "b", counts: {} })).toEqual({ total: 0, success: 0, blocked: 0 });
  });

  it("lists products, searches on the server and exports", async () => {
    const listProducts = vi.fn((query: ProductQuery) =>
      Promise.resolve({
        products: [{ productId: "p1", name: `Sepatu ${query.q ?? ""}`.trim(), shopId: "123", price: 150000, currency: "IDR" }],
        total: 1,
        hasMore: false,
        history: {
          // Newest first, as core sends them; one change without a price.
          p1: [
            { at: 4, price: 150000, stock: 3 },
            { at: 3, price: null, stock: 0 },
            { at: 2, price: 175000, stock: 5 },
            { at: 1, price: 160000, stock: 9 },
          ],
        },
        // Core words the price; history prices stay in minor units (IDR: 2 digits).
        prices: { p1: { price: "1,500 IDR", originalPrice: null } },
        minorDigits: { IDR: 2 },
      }),
    );
    const exportProducts = vi.fn(() => Promise.resolve({ kind: "saved" as const, path: "/home/u/Downloads/antrian-products.csv" }));
    renderWith(
      fakeApi({
        listProducts,
        exportProducts,
        listSites: () => Promise.resolve([{ host: "shop.example", counts: { success: 3, blocked_429: 1 } }]),
      }),
      <Results />,
    );
    expect(await screen.findByTestId("product-table")).toHaveTextContent("1,500 IDR");
    expect(screen.getByTestId("site-shop.example")).toHaveTextContent("75%");
    expect(screen.getByRole("img", { name: /prices/ })).toHaveAccessibleName(
      "3 prices from 1,500 to 1,750 IDR; last change down",
    );
    fireEvent.change(screen.getByLabelText("Search"), { target: { value: "merah" } });
    await waitFor(() => expect(listProducts).toHaveBeenLastCalledWith({ q: "merah", shop: undefined, page: 1 }));
    fireEvent.click(screen.getByRole("button", { name: "Export CSV" }));
    expect(await screen.findByText("Exported to /home/u/Downloads/antrian-products.csv")).toBeInTheDocument();
    expect(exportProducts).toHaveBeenCalledWith("csv");
  });
});
