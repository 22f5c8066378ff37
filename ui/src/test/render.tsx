import { render } from "@testing-library/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import type { ReactNode } from "react";

import { ApiProvider, type Api } from "../api";
import { ToastProvider } from "../components/Toasts";

/**
 * Renders `ui` with `api` and a fresh query cache, as main.tsx does; `rerenderWith` swaps
 * the page for another under the same providers (as a route change does).
 */
export function renderWith(api: Api, ui: ReactNode) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity } } });
  const wrap = (page: ReactNode) => (
    <ApiProvider api={api}>
      <QueryClientProvider client={client}>
        <ToastProvider>{page}</ToastProvider>
      </QueryClientProvider>
    </ApiProvider>
  );
  const view = render(wrap(ui));
  return { ...view, rerenderWith: (page: ReactNode) => view.rerender(wrap(page)) };
}
