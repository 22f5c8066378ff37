import { ApiError, httpErrorCode, type Api, type Unsubscribe } from "./api";
import type {
  AddedJob,
  AuditEntry,
  BulkOutcome,
  Catalogue,
  CommandReply,
  CreatedQueue,
  NewQueue,
  ConnectionStatus,
  DomainStats,
  DynamicScheduleView,
  NodeInfo,
  ProductPage,
  ScalingRecord,
  ScalingRules,
  HealthStatus,
  JobDetail,
  JobPage,
  JobQuery,
  Preview,
  QueueThroughput,
  QueueEvent,
  QueueStats,
  ScheduleView,
} from "./types";

/**
 * The event names `/api/events` sends (`event:` lines), as core names them: every name of
 * the generated `QueueEvent`, so a new event that is not listed here fails to compile.
 */
const EVENT_NAMES = Object.keys({
  "job:added": true,
  "job:active": true,
  "job:progress": true,
  "job:completed": true,
  "job:failed": true,
  "job:stalled": true,
  "job:delayed": true,
  "job:removed": true,
  "queue:paused": true,
  "queue:resumed": true,
  "queue:metrics": true,
  "health:check": true,
  "scaling:up": true,
  "scaling:down": true,
  "schedule:fired": true,
  missed: true,
} satisfies Record<QueueEvent["event"], true>);

const q = encodeURIComponent;

/**
 * The HTTP dashboard: its REST API (same origin, so the browser's basic-auth credentials
 * go along) and `/api/events` for live updates. `base` is the dashboard's origin, empty
 * when the UI is served by it.
 */
export function httpApi(base = ""): Api {
  /** `alsoOk`: statuses whose body is the answer too (`/api/health` is 503 when unhealthy). */
  async function call<T>(method: string, path: string, body?: unknown, alsoOk: number[] = []): Promise<T> {
    let response: Response;
    try {
      const init: RequestInit = { method, credentials: "same-origin" };
      if (body !== undefined) {
        init.headers = { "content-type": "application/json" };
        init.body = JSON.stringify(body);
      }
      response = await fetch(base + path, init);
    } catch (e) {
      throw new ApiError("unavailable", `The dashboard did not answer: ${String(e)}`);
    }
    const text = await response.text();
    const json: unknown = text === "" ? null : safeParse(text);
    const error = (json as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    if (!response.ok && (error !== undefined || !alsoOk.includes(response.status))) {
      const message =
        typeof error?.message === "string" ? error.message : `HTTP ${response.status}`;
      throw new ApiError(httpErrorCode(response.status, error?.code), message);
    }
    return json as T;
  }

  // One EventSource shared by every subscriber; it resumes with Last-Event-ID by itself.
  const listeners = new Set<(e: QueueEvent) => void>();
  // The connection as the window should show it: Redis's, as the dashboard reports it, or
  // "disconnected" while the dashboard itself does not answer — never the last good state.
  const statusListeners = new Set<(s: ConnectionStatus) => void>();
  let lastStatus: ConnectionStatus | null = null;
  const tell = (s: ConnectionStatus) => {
    lastStatus = s;
    for (const l of statusListeners) l(s);
  };
  let source: EventSource | null = null;
  function closeIfUnused() {
    if (listeners.size === 0 && statusListeners.size === 0 && source !== null) {
      source.close();
      source = null;
    }
  }
  function ensureSource() {
    if (source !== null || typeof EventSource === "undefined") return;
    source = new EventSource(`${base}/api/events`, { withCredentials: true });
    for (const name of EVENT_NAMES) {
      source.addEventListener(name, (message) => {
        const event = safeParse((message as MessageEvent<string>).data) as QueueEvent | null;
        if (event === null) return;
        if (event.event === "health:check") tell(event.health.redis as ConnectionStatus);
        for (const l of listeners) l(event);
      });
    }
    source.addEventListener("error", () => {
      if (lastStatus === null || lastStatus.state === "disconnected") return;
      tell({
        ...lastStatus,
        state: "disconnected",
        latencyMs: null,
        error: {
          code: "unavailable",
          message: "The dashboard does not answer; reconnecting…",
        },
      });
    });
    // Back (the EventSource reconnects by itself): the dashboard's current word.
    source.addEventListener("open", () => {
      void call<HealthStatus>("GET", "/api/health", undefined, [503]).then(
        (h) => tell(h.redis),
        () => undefined,
      );
    });
  }

  return {
    transport: "http",
    async getConnectionStatus() {
      const status = (await call<HealthStatus>("GET", "/api/health", undefined, [503])).redis;
      lastStatus = status;
      return status;
    },
    onConnectionStatus(onChange) {
      // Health checks carry the connection status; the event stream brings them, and its
      // failures say the dashboard itself is gone.
      statusListeners.add(onChange);
      ensureSource();
      return Promise.resolve(() => {
        statusListeners.delete(onChange);
        closeIfUnused();
      });
    },
    onEvent(onEvent): Promise<Unsubscribe> {
      listeners.add(onEvent);
      ensureSource();
      return Promise.resolve(() => {
        listeners.delete(onEvent);
        closeIfUnused();
      });
    },
    listQueues: () => call<QueueStats[]>("GET", "/api/queues"),
    createQueue: (name) => call<CreatedQueue>("POST", "/api/queues", { name } satisfies NewQueue),
    listThroughput: (minutes) =>
      call<QueueThroughput[]>("GET", `/api/throughput?minutes=${String(minutes)}`),
    async listJobs(queue: string, { state, page, pageSize, order, name, field, text }: JobQuery) {
      const params = new URLSearchParams({ state, page: String(page), order });
      if (pageSize !== undefined) params.set("pageSize", String(pageSize));
      for (const [key, value] of Object.entries({ name, field, text })) {
        if (value !== undefined && value.trim() !== "") params.set(key, value);
      }
      return (await call<{ jobs: JobPage }>("GET", `/api/queues/${q(queue)}?${params}`)).jobs;
    },
    actOnMatching: (queue, state, filter, action) =>
      call<BulkOutcome>("POST", `/api/queues/${q(queue)}/jobs/matching`, { state, filter, action }),
    getJob: (queue, id) => call<JobDetail>("GET", `/api/queues/${q(queue)}/jobs/${q(id)}`),
    updateJobData: (queue, id, data) =>
      call<JobDetail>("PUT", `/api/queues/${q(queue)}/jobs/${q(id)}/data`, data),
    addJob: (queue, job) => call<AddedJob>("POST", `/api/queues/${q(queue)}/jobs`, job),
    listJobTypes: () => call<Catalogue>("GET", "/api/job-types"),
    async checkJob(queue, job) {
      await call("POST", `/api/queues/${q(queue)}/jobs/check`, job);
    },
    async retryJob(queue, id) {
      await call("POST", `/api/queues/${q(queue)}/jobs/${q(id)}/retry`);
    },
    async removeJob(queue, id) {
      await call("DELETE", `/api/queues/${q(queue)}/jobs/${q(id)}`);
    },
    async promoteJob(queue, id) {
      await call("POST", `/api/queues/${q(queue)}/jobs/${q(id)}/promote`);
    },
    async promoteAll(queue) {
      const r = await call<{ promoted?: number }>("POST", `/api/queues/${q(queue)}/promote`);
      return r.promoted ?? 0;
    },
    async retryFailed(queue) {
      const r = await call<{ retried?: number }>("POST", `/api/queues/${q(queue)}/retry-failed`);
      return r.retried ?? 0;
    },
    async pauseQueue(queue) {
      await call("POST", `/api/queues/${q(queue)}/pause`);
    },
    async resumeQueue(queue) {
      await call("POST", `/api/queues/${q(queue)}/resume`);
    },
    async cleanQueue(queue, options) {
      const r = await call<{ removed?: number }>("POST", `/api/queues/${q(queue)}/clean`, options);
      return r.removed ?? 0;
    },
    getHealth: () => call<HealthStatus>("GET", "/api/health", undefined, [503]),
    listSchedules: () => call<ScheduleView[]>("GET", "/api/schedules"),
    addSchedule: (input) => call<ScheduleView>("POST", "/api/schedules", input),
    updateSchedule: (name, change) => call<ScheduleView>("PATCH", `/api/schedules/${q(name)}`, change),
    enableSchedule: (name) => call<ScheduleView>("POST", `/api/schedules/${q(name)}/enable`),
    disableSchedule: (name) => call<ScheduleView>("POST", `/api/schedules/${q(name)}/disable`),
    runSchedule: (name) => call<AddedJob>("POST", `/api/schedules/${q(name)}/run`),
    async removeSchedule(name) {
      await call("DELETE", `/api/schedules/${q(name)}`);
    },
    listDynamicSchedules: () => call<DynamicScheduleView[]>("GET", "/api/dynamic-schedules"),
    addDynamicSchedule: (input) => call<DynamicScheduleView>("POST", "/api/dynamic-schedules", input),
    updateDynamicSchedule: (name, update) =>
      call<DynamicScheduleView>("PATCH", `/api/dynamic-schedules/${q(name)}`, update),
    setDynamicScheduleEnabled: (name, enabled) =>
      call<DynamicScheduleView>("POST", `/api/dynamic-schedules/${q(name)}/${enabled ? "enable" : "disable"}`),
    async removeDynamicSchedule(name) {
      await call("DELETE", `/api/dynamic-schedules/${q(name)}`);
    },
    listNodes: () => call<NodeInfo[]>("GET", "/api/workers"),
    sendNodeCommand: (node, command) =>
      call<CommandReply>("POST", `/api/nodes/${q(node)}/commands`, command),
    listScalingLog: (count) => call<ScalingRecord[]>("GET", `/api/scaling/log?count=${count}`),
    getScalingRules: () => call<ScalingRules>("GET", "/api/scaling/settings"),
    listAudit: (limit) => call<AuditEntry[]>("GET", `/api/audit?limit=${limit}`),
    listProducts({ q: text, shop, page, pageSize }) {
      const params = new URLSearchParams({ page: String(page) });
      if (pageSize !== undefined) params.set("pageSize", String(pageSize));
      if (text) params.set("q", text);
      if (shop) params.set("shop", shop);
      return call<ProductPage>("GET", `/api/products?${params}`);
    },
    listSites: () => call<DomainStats[]>("GET", "/api/sites"),
    exportProducts: (format) =>
      Promise.resolve({ kind: "download", href: `${base}/api/products/export?format=${format}` }),
    previewCron(cron, timezone, count) {
      const params = new URLSearchParams({ cron });
      if (count !== undefined) params.set("count", String(count));
      if (timezone) params.set("tz", timezone);
      return call<Preview>("GET", `/api/schedule-preview?${params}`);
    },
    desktop: null,
  };
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
