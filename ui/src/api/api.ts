import type { ConnectionStatus, ErrorCode } from "./types";

/** Stops a subscription. */
export type Unsubscribe = () => void;

/**
 * Everything the UI asks of Antrian. Two adapters implement it: Tauri IPC in the desktop
 * window (./tauri.ts) and, with the HTTP dashboard, REST + server-sent events.
 */
export interface Api {
  /** Which transport this is, for the status bar. */
  readonly transport: "tauri" | "none";
  /** The current Redis connection status. */
  getConnectionStatus(): Promise<ConnectionStatus>;
  /** Calls `onChange` with every new connection status until unsubscribed. */
  onConnectionStatus(onChange: (status: ConnectionStatus) => void): Promise<Unsubscribe>;
}

/** An error from any transport: branch on `code`, show `message`. */
export class ApiError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = "ApiError";
    this.code = code;
  }
}

/** Turns whatever a transport rejected with into an ApiError. */
export function toApiError(raw: unknown): ApiError {
  if (raw instanceof ApiError) return raw;
  if (typeof raw === "object" && raw !== null && "code" in raw && "message" in raw) {
    const { code, message } = raw as { code: unknown; message: unknown };
    if (isErrorCode(code) && typeof message === "string") return new ApiError(code, message);
  }
  const message = raw instanceof Error ? raw.message : String(raw);
  return new ApiError("internal", message);
}

function isErrorCode(code: unknown): code is ErrorCode {
  return (
    code === "invalid_input" ||
    code === "not_found" ||
    code === "conflict" ||
    code === "unavailable" ||
    code === "internal"
  );
}
