export {
  ApiError,
  toApiError,
  type Api,
  type DesktopApi,
  type ExportResult,
  type Unsubscribe,
} from "./api";
export type * from "./types";
export { ApiProvider, useApi } from "./context";

import type { Api } from "./api";
import { httpApi } from "./http";
import { noTransportApi } from "./none";
import { insideTauri, tauriApi } from "./tauri";

/** Picks the transport for where the UI runs: the desktop window, or served over HTTP. */
export function createApi(): Api {
  if (insideTauri()) return tauriApi();
  if (typeof window !== "undefined" && window.location.protocol.startsWith("http")) {
    return httpApi();
  }
  return noTransportApi();
}
