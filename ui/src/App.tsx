import { lazy, Suspense, useEffect, useMemo, useRef, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";

import { useApi } from "./api";
import { PageBoundary } from "./components/PageBoundary";
import { Sidebar } from "./components/Sidebar";
import { StaleNotice } from "./components/StaleNotice";
import { HelpSheet, Palette } from "./components/Palette";
import { useConnectionStatus } from "./hooks/useConnectionStatus";
import { live, useLive, useLiveUpdates } from "./hooks/useLiveUpdates";
import { useRoute } from "./hooks/useRoute";
import { useShortcuts } from "./hooks/useShortcuts";
import { nextTheme, setTheme, useTheme } from "./hooks/useTheme";
import { Overview } from "./routes/Overview";

// The Overview is the first page; every other page's code is loaded (and kept) the first
// time it is opened, so an idle window holds only what it has shown.
const AddJob = lazy(() => import("./routes/AddJob").then((m) => ({ default: m.AddJob })));
const Audit = lazy(() => import("./routes/Audit").then((m) => ({ default: m.Audit })));
const Health = lazy(() => import("./routes/Health").then((m) => ({ default: m.Health })));
const JobPage = lazy(() => import("./routes/Job").then((m) => ({ default: m.JobPage })));
const Queues = lazy(() => import("./routes/Queue").then((m) => ({ default: m.Queues })));
const Results = lazy(() => import("./routes/Results").then((m) => ({ default: m.Results })));
const Schedules = lazy(() => import("./routes/Schedules").then((m) => ({ default: m.Schedules })));
const Settings = lazy(() => import("./routes/Settings").then((m) => ({ default: m.Settings })));
const Workers = lazy(() => import("./routes/Workers").then((m) => ({ default: m.Workers })));

/** The shell: sidebar, the current page, shortcuts, palette and live updates. */
export function App() {
  const route = useRoute();
  const status = useConnectionStatus();
  const theme = useTheme();
  const client = useQueryClient();
  const on = useLive();
  const [overlay, setOverlay] = useState<"palette" | "help" | null>(null);
  useLiveUpdates();
  useNavigateRequests();
  const connection = status.isError ? "disconnected" : (status.data?.state ?? "unknown");
  const since = useOutageStart(
    connection === "disconnected" || connection === "failed",
    Math.max(status.dataUpdatedAt, status.errorUpdatedAt),
  );
  const shortcuts = useMemo(
    () => ({
      r: () => void client.invalidateQueries(),
      t: () => setTheme(nextTheme(theme)),
      "?": () => setOverlay("help"),
      "/": () => {
        const search = document.querySelector<HTMLInputElement>("main input");
        if (search) search.focus();
        else setOverlay("palette");
      },
      "ctrl+k": () => setOverlay("palette"),
    }),
    [client, theme],
  );
  useShortcuts(shortcuts);
  const [queue, sub, id] = route.parts;
  let page;
  if (route.section === "overview") page = <Overview />;
  else if (route.section === "add-job") page = <AddJob route={route} />;
  else if (route.section === "queues" && queue !== undefined && sub === "jobs" && id !== undefined)
    page = <JobPage queue={queue} id={id} />;
  else if (route.section === "queues") page = <Queues route={route} />;
  else if (route.section === "schedules") page = <Schedules />;
  else if (route.section === "workers") page = <Workers />;
  else if (route.section === "results") page = <Results />;
  else if (route.section === "health") page = <Health />;
  else if (route.section === "audit") page = <Audit />;
  else if (route.section === "settings") page = <Settings />;
  else page = <Overview />;
  return (
    <div className="shell">
      <Sidebar
        current={route.section === "add-job" ? "queues" : route.section}
        connection={connection}
        theme={theme}
        live={on}
        onLive={(v) => live.set(v)}
        onTheme={setTheme}
      />
      <div className="content" data-stale={since !== null ? "" : undefined}>
        {since !== null && (
          <StaleNotice since={since} why={status.data?.error?.message ?? status.error?.message ?? null} />
        )}
        <PageBoundary key={route.section}>
          <Suspense fallback={<p className="muted" role="status">Loading…</p>}>{page}</Suspense>
        </PageBoundary>
      </div>
      {overlay === "palette" && <Palette onClose={() => setOverlay(null)} />}
      {overlay === "help" && <HelpSheet onClose={() => setOverlay(null)} />}
    </div>
  );
}

/**
 * When the current outage began (null while connected). When the connection comes back,
 * everything shown is read again, so nothing from before the outage stays on screen.
 */
function useOutageStart(down: boolean, statusAt: number): number | null {
  const client = useQueryClient();
  // The status that said "down" was read at `statusAt`: the outage began then.
  const [outage, setOutage] = useState<{ down: boolean; since: number | null }>({ down: false, since: null });
  if (outage.down !== down) setOutage({ down, since: down ? statusAt : null });
  const wasDown = useRef(down);
  useEffect(() => {
    if (wasDown.current && !down) {
      void client.invalidateQueries({ predicate: (q) => q.queryKey[0] !== "connection-status" });
    }
    wasDown.current = down;
  }, [down, client]);
  return outage.since;
}

/** Follows the desktop app's requests to show a route (a clicked notification, the tray). */
function useNavigateRequests() {
  const api = useApi();
  useEffect(() => {
    const desktop = api.desktop;
    if (!desktop) return;
    let stop: (() => void) | undefined;
    let gone = false;
    void desktop
      .onNavigate((to) => {
        window.location.hash = to.replace(/^#/, "");
      })
      .then((unsubscribe) => {
        if (gone) unsubscribe();
        else stop = unsubscribe;
      });
    return () => {
      gone = true;
      stop?.();
    };
  }, [api]);
}
