import { useEffect, useSyncExternalStore } from "react";

export type Theme = "system" | "light" | "dark";
const KEY = "antrian.theme";
const ORDER: Theme[] = ["system", "light", "dark"];

function read(): Theme {
  const t = localStorage.getItem(KEY);
  return t === "light" || t === "dark" ? t : "system";
}

function subscribe(onChange: () => void) {
  window.addEventListener("antrian-theme", onChange);
  return () => window.removeEventListener("antrian-theme", onChange);
}

export function setTheme(theme: Theme) {
  localStorage.setItem(KEY, theme);
  window.dispatchEvent(new Event("antrian-theme"));
}

/** The next theme in system → light → dark (the `t` shortcut). */
export function nextTheme(theme: Theme): Theme {
  return ORDER[(ORDER.indexOf(theme) + 1) % ORDER.length] ?? "system";
}

/** The chosen theme, applied to <html data-theme>. */
export function useTheme(): Theme {
  const theme = useSyncExternalStore(subscribe, read);
  useEffect(() => {
    if (theme === "system") delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = theme;
  }, [theme]);
  return theme;
}
