import { ApiError, type Api } from "../api";

/**
 * An in-memory Api for component tests: the transport is the one thing they replace.
 * Every method not given rejects, naming itself, so a test sees which call it missed.
 */
export function fakeApi(overrides: Partial<Api> = {}): Api {
  const base = {
    transport: "tauri" as const,
    onConnectionStatus: () => Promise.resolve(() => undefined),
    onEvent: () => Promise.resolve(() => undefined),
    desktop: null,
  };
  return new Proxy({ ...base, ...overrides } as Api, {
    get(target, key: string) {
      if (key in target) return target[key as keyof Api];
      return () => Promise.reject(new ApiError("internal", `fakeApi: ${key} is not stubbed`));
    },
  });
}
