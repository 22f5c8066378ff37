import { useEffect, useMemo, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";

import { useApi } from "./api";
import { Sidebar } from "./components/Sidebar";
import { HelpSheet, Palette } from "./components/Palette";
import { useConnectionStatus } from "./hooks/useConnectionStatus";
import { live, useLive, useLiveUpdates } from "./hooks/useLiveUpdates";
import { useRoute } from "./hooks/useRoute";
import { useShortcuts } from "./hooks/useShortcuts";
import { nextTheme, setTheme, useTheme } from "./hooks/useTheme";
import { AddJob } from "./routes/AddJob";
import { Health } from "./routes/Health";
import { JobPage } from "./routes/Job";
import { Overview } from "./routes/Overview";
import { Queues } from "./routes/Queue";
import { Results } from "./routes/Results";
import { Schedules } from "./routes/Schedules";
import { Settings } from "./routes/Settings";
import { Workers } from "./routes/Workers";

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
  else if (route.section === "settings") page = <Settings />;
  else page = <Overview />;
  return (
    <div className="shell">
      <Sidebar
        current={route.section === "add-job" ? "queues" : route.section}
        connection={status.data?.state ?? "unknown"}
        theme={theme}
        live={on}
        onLive={(v) => live.set(v)}
        onTheme={setTheme}
      />
      {page}
      {overlay === "palette" && <Palette onClose={() => setOverlay(null)} />}
      {overlay === "help" && <HelpSheet onClose={() => setOverlay(null)} />}
    </div>
  );
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
