import { useSyncExternalStore } from "react";

import { sectionFromHash, type SectionId } from "../routes/sections";

function subscribe(onChange: () => void) {
  window.addEventListener("hashchange", onChange);
  return () => window.removeEventListener("hashchange", onChange);
}

/** The section named by the URL hash, so every section has a deep link. */
export function useSection(): SectionId {
  return useSyncExternalStore(subscribe, () => sectionFromHash(window.location.hash));
}
