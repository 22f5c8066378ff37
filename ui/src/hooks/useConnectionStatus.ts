import { useEffect } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";

import { useApi, type ConnectionStatus } from "../api";

export const connectionStatusKey = ["connection-status"] as const;

/**
 * The Redis connection status: fetched once, then kept current by the pushed
 * `connection-status` events (no polling).
 */
export function useConnectionStatus() {
  const api = useApi();
  const client = useQueryClient();
  useEffect(() => {
    let stop: (() => void) | undefined;
    let cancelled = false;
    void api
      .onConnectionStatus((status) => {
        client.setQueryData<ConnectionStatus>(connectionStatusKey, status);
      })
      .then((unsubscribe) => {
        if (cancelled) unsubscribe();
        else stop = unsubscribe;
      });
    return () => {
      cancelled = true;
      stop?.();
    };
  }, [api, client]);
  return useQuery({
    queryKey: connectionStatusKey,
    queryFn: () => api.getConnectionStatus(),
    staleTime: Infinity,
    retry: false,
  });
}
