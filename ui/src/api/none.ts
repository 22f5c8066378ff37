import { ApiError, type Api } from "./api";

/**
 * Opened as a plain page (e.g. `vite dev` in a browser) there is no Antrian to talk to
 * until the HTTP dashboard exists; every call says so instead of pretending.
 */
export function noTransportApi(): Api {
  const unavailable = () =>
    new ApiError(
      "unavailable",
      "This page is not connected to Antrian: open it in the desktop app.",
    );
  return {
    transport: "none",
    getConnectionStatus: () => Promise.reject(unavailable()),
    onConnectionStatus: () => Promise.resolve(() => undefined),
  };
}
