import { render } from "@testing-library/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import type { ReactNode } from "react";

import { ApiProvider, type Api } from "../api";
import { ToastProvider } from "../components/Toasts";

/** Renders `ui` with `api` and a fresh query cache, as main.tsx does. */
export function renderWith(api: Api, ui: ReactNode) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity } } });
  return render(
    <ApiProvider api={api}>
      <QueryClientProvider client={client}>
        <ToastProvider>{ui}</ToastProvider>
      </QueryClientProvider>
    </ApiProvider>,
  );
}
