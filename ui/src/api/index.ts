export { ApiError, toApiError, type Api, type Unsubscribe } from "./api";
export type * from "./types";
export { ApiProvider, useApi } from "./context";

import type { Api } from "./api";
import { noTransportApi } from "./none";
import { insideTauri, tauriApi } from "./tauri";

/** Picks the transport for where the UI runs. */
export function createApi(): Api {
  return insideTauri() ? tauriApi() : noTransportApi();
}
