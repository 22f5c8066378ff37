import { useSyncExternalStore } from "react";

/** How often relative times ("3 min ago") move on. */
export const TICK_MS = 15_000;

let now = Date.now();
const listeners = new Set<() => void>();
let timer: ReturnType<typeof setInterval> | undefined;

function subscribe(onChange: () => void) {
  listeners.add(onChange);
  // The clock stood still while nothing showed a time: set it before the first tick.
  if (timer === undefined) now = Date.now();
  timer ??= setInterval(() => {
    now = Date.now();
    for (const l of listeners) l();
  }, TICK_MS);
  return () => {
    listeners.delete(onChange);
    if (listeners.size === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}

/** The current time, one clock for the whole page, ticking every {@link TICK_MS}. */
export function useNow(): number {
  return useSyncExternalStore(subscribe, () => now);
}
