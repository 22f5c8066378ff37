import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";

import { toApiError, type Api } from "./api";
import type { ConnectionStatus } from "./types";

/** Tauri IPC: commands are `verb_noun`, events kebab-case. */
export function tauriApi(): Api {
  return {
    transport: "tauri",
    async getConnectionStatus() {
      try {
        return await invoke<ConnectionStatus>("get_connection_status");
      } catch (e) {
        throw toApiError(e);
      }
    },
    async onConnectionStatus(onChange) {
      return listen<ConnectionStatus>("connection-status", (event) => {
        onChange(event.payload);
      });
    },
  };
}

/** True inside the Tauri window. */
export function insideTauri(): boolean {
  return typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;
}
