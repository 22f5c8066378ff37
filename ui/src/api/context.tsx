import { createContext, useContext, type ReactNode } from "react";

import type { Api } from "./api";

const ApiContext = createContext<Api | null>(null);

/** Makes `api` available to every hook below; tests pass their own. */
export function ApiProvider({ api, children }: { api: Api; children: ReactNode }) {
  return <ApiContext.Provider value={api}>{children}</ApiContext.Provider>;
}

/** The api of the nearest ApiProvider. */
export function useApi(): Api {
  const api = useContext(ApiContext);
  if (api === null) throw new Error("useApi outside <ApiProvider>");
  return api;
}
