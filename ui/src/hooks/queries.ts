import { useQuery } from "@tanstack/react-query";

import { useApi, type JobQuery } from "../api";

/** Every queue's counts; refreshed by pushed events (useLiveUpdates), not by polling. */
export function useQueues() {
  const api = useApi();
  return useQuery({ queryKey: ["queues"], queryFn: () => api.listQueues() });
}

/** One page of a queue's jobs. */
export function useJobs(queue: string, query: JobQuery) {
  const api = useApi();
  return useQuery({
    queryKey: ["jobs", queue, query],
    queryFn: () => api.listJobs(queue, query),
    placeholderData: (previous) => previous,
  });
}

/** One job in full. */
export function useJob(queue: string, id: string) {
  const api = useApi();
  return useQuery({ queryKey: ["job", queue, id], queryFn: () => api.getJob(queue, id), retry: false });
}

/** The job-type catalogue (Rust's): forms are rendered from it. It changes only with a new
 * Antrian, so it is read once. */
/** The job-type catalogue; `enabled: false` leaves it unfetched until a caller needs it. */
export function useJobTypes(enabled = true) {
  const api = useApi();
  return useQuery({ queryKey: ["job-types"], queryFn: () => api.listJobTypes(), staleTime: Infinity, enabled });
}

export function useHealth() {
  const api = useApi();
  return useQuery({ queryKey: ["health"], queryFn: () => api.getHealth() });
}

export function useSchedules() {
  const api = useApi();
  return useQuery({ queryKey: ["schedules"], queryFn: () => api.listSchedules() });
}

/** Minutes the Overview's chart shows unless another window is chosen. */
export const CHART_MINUTES = 60;

/** The windows the Overview's chart offers (BullMQ's metrics keep a day by Antrian's setting). */
export const CHART_WINDOWS = [
  { minutes: 60, label: "1 hour" },
  { minutes: 360, label: "6 hours" },
  { minutes: 1440, label: "24 hours" },
] as const;

/**
 * Completed and failed per minute for the Overview's chart: refreshed by job outcomes
 * (useLiveUpdates) and once a minute while live, so empty minutes still scroll by.
 */
export function useThroughput(live: boolean, minutes: number = CHART_MINUTES) {
  const api = useApi();
  return useQuery({
    queryKey: ["throughput", minutes],
    queryFn: () => api.listThroughput(minutes),
    refetchInterval: live ? 60_000 : false,
  });
}
