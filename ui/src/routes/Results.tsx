import { useState } from "react";
import { useQuery } from "@tanstack/react-query";

import { useApi, type DomainStats } from "../api";
import { Sparkline } from "../components/Sparkline";
import { Time } from "../components/Time";
import { useToast } from "../components/Toasts";


/** Success and blocked shares of a site's requests. */
export function siteRates(site: DomainStats): { total: number; success: number; blocked: number } {
  const counts = Object.entries(site.counts);
  const total = counts.reduce((n, [, v]) => n + v, 0);
  const blocked = counts.filter(([k]) => k.startsWith("blocked_")).reduce((n, [, v]) => n + v, 0);
  const success = site.counts.success ?? 0;
  return { total, success: total === 0 ? 0 : success / total, blocked: total === 0 ? 0 : blocked / total };
}

const pct = (x: number) => `${Math.round(x * 100)}%`;

/** Scraped products with search and export, and how each site answers. */
export function Results() {
  const api = useApi();
  const toast = useToast();
  const [q, setQ] = useState("");
  const [shop, setShop] = useState("");
  const [page, setPage] = useState(1);
  const products = useQuery({
    queryKey: ["products", q, shop, page],
    queryFn: () =>
      api.listProducts({
        page,
        ...(q.trim() ? { q: q.trim() } : {}),
        ...(shop.trim() ? { shop: shop.trim() } : {}),
      }),
    placeholderData: (previous) => previous,
  });
  const sites = useQuery({ queryKey: ["sites"], queryFn: () => api.listSites() });
  const exportAs = async (format: "csv" | "json") => {
    try {
      const result = await api.exportProducts(format);
      if (result.kind === "download") window.location.href = result.href;
      else toast(`Exported to ${result.path}`);
    } catch (e) {
      toast((e as Error).message, "error");
    }
  };
  const rows = products.data?.products ?? [];
  return (
    <main className="page wide" aria-labelledby="page-title">
      <header className="page-header">
        <h1 id="page-title">Results</h1>
        <div className="actions">
          <button type="button" onClick={() => void exportAs("csv")}>Export CSV</button>
          <button type="button" onClick={() => void exportAs("json")}>Export JSON</button>
        </div>
      </header>
      <div className="toolbar">
        <label>
          Search <input value={q} placeholder="product name" onChange={(e) => { setQ(e.target.value); setPage(1); }} />
        </label>
        <label>
          Shop <input value={shop} placeholder="shop id" onChange={(e) => { setShop(e.target.value); setPage(1); }} />
        </label>
      </div>
      {products.isError && <p className="error" role="alert">{products.error.message}</p>}
      {products.isPending && <p className="muted" role="status">Loading products…</p>}
      {products.data && rows.length === 0 && (
        <p className="muted" data-testid="no-products">
          {q || shop ? "No product matches." : "No products yet: add a product-scraping job and its results land here."}
        </p>
      )}
      {rows.length > 0 && (
        <div className="table-wrap">
          <table className="table" data-testid="product-table">
            <thead>
              <tr>
                <th>Product</th>
                <th>Shop</th>
                <th>Price</th>
                <th>Price history</th>
                <th>Rating</th>
                <th>Sold</th>
                <th>Stock</th>
                <th>Scraped</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((p) => (
                <tr key={p.productId}>
                  <td className="ellipsis">{p.url ? <a href={p.url} target="_blank" rel="noreferrer">{p.name}</a> : p.name}</td>
                  <td>{p.shopId ?? "—"}</td>
                  <td className="num">
                    {/* As core words it: major units and currency, as a shopper reads it. */}
                    {products.data?.prices[p.productId]?.price ?? "—"}
                    {p.originalPrice !== undefined && p.originalPrice !== p.price && (
                      <span className="muted"> (was {products.data?.prices[p.productId]?.originalPrice})</span>
                    )}
                  </td>
                  <td>
                    <Sparkline history={products.data?.history[p.productId] ?? []} currency={p.currency}
                      minorDigits={p.currency ? products.data?.minorDigits[p.currency] : undefined} />
                  </td>
                  <td className="num">{p.rating ?? "—"}</td>
                  <td className="num">{p.sold ?? "—"}</td>
                  <td className="num">{p.stock ?? "—"}</td>
                  <td><Time at={p.scrapedAt ? Date.parse(p.scrapedAt) : null} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {products.data && (page > 1 || products.data.hasMore) && (
        <div className="pager">
          <button type="button" disabled={page <= 1} onClick={() => setPage(page - 1)}>Previous</button>
          <span>Page {page}{products.data.total !== null && ` · ${products.data.total} products`}</span>
          <button type="button" disabled={!products.data.hasMore} onClick={() => setPage(page + 1)}>Next</button>
        </div>
      )}
      <section className="card" aria-labelledby="sites-title">
        <h2 id="sites-title">Sites</h2>
        {sites.data?.length === 0 && <p className="muted">No site scraped yet.</p>}
        {sites.data && sites.data.length > 0 && (
          <div className="table-wrap">
            <table className="table" data-testid="site-table">
              <thead>
                <tr>
                  <th>Site</th>
                  <th>Requests</th>
                  <th>Succeeded</th>
                  <th>Blocked</th>
                  <th>Other outcomes</th>
                </tr>
              </thead>
              <tbody>
                {sites.data.map((site) => {
                  const r = siteRates(site);
                  const other = Object.entries(site.counts).filter(([k]) => k !== "success" && !k.startsWith("blocked_"));
                  return (
                    <tr key={site.host} data-testid={`site-${site.host}`}>
                      <td>{site.host}</td>
                      <td className="num">{r.total}</td>
                      <td className="num">{pct(r.success)}</td>
                      <td className={`num ${r.blocked > 0 ? "bad" : ""}`}>{pct(r.blocked)}</td>
                      <td className="muted">{other.map(([k, v]) => `${k} ${v}`).join(" · ")}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </main>
  );
}
