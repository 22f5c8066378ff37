import { useSyncExternalStore } from "react";

import { sectionFromHash, type SectionId } from "../routes/sections";

/** Where the URL hash points: `#/queues/scraping-queue/jobs/42?state=failed`. */
export interface Route {
  /** A sidebar section, or the add-job form (reached from Queues and the palette). */
  section: SectionId | "add-job";
  /** Path segments after the section, decoded. */
  parts: string[];
  params: URLSearchParams;
}

function subscribe(onChange: () => void) {
  window.addEventListener("hashchange", onChange);
  return () => window.removeEventListener("hashchange", onChange);
}

/** Parses a location hash into a route. */
export function parseRoute(hash: string): Route {
  const [path = "", query = ""] = hash.replace(/^#\/?/, "").split("?", 2);
  const parts = path.split("/").filter((p) => p !== "").map(decodeURIComponent);
  const section = parts[0] === "add-job" ? "add-job" : sectionFromHash(hash);
  return { section, parts: parts.slice(1), params: new URLSearchParams(query) };
}

/** Builds a hash link: `link("queues", ["a b"], {state: "failed"})` → `#/queues/a%20b?state=failed`. */
export function link(
  section: SectionId | "add-job",
  parts: string[] = [],
  params: Record<string, string | number | undefined> = {},
): string {
  const path = [section, ...parts.map(encodeURIComponent)].join("/");
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) query.set(k, String(v));
  const q = query.toString();
  return `#/${path}${q ? `?${q}` : ""}`;
}

/** The current route; every page and job has a deep link. */
export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, () => window.location.hash);
  return parseRoute(hash);
}
