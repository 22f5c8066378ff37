import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";

import { toApiError, type Api } from "./api";
import type {
  AddedJob,
  AuditEntry,
  AlertPrefs,
  ConnectionList,
  ConnectionTest,
  SavedConnection,
  BulkOutcome,
  Catalogue,
  CommandReply,
  CreatedQueue,
  DashboardStatus,
  HttpTargetsView,
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
  Preview,
  QueueEvent,
  QueueStats,
  QueueThroughput,
  ScheduleView,
} from "./types";

/** Invokes a command, rejecting with an ApiError built from its `{code, message}`. */
async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw toApiError(e);
  }
}

/** Invokes a command that answers nothing. */
async function run(command: string, args?: Record<string, unknown>): Promise<undefined> {
  await call<unknown>(command, args);
  return undefined;
}

/** Tauri IPC: commands are `verb_noun` (src-tauri/src/commands.rs), events kebab-case. */
export function tauriApi(): Api {
  return {
    transport: "tauri",
    getConnectionStatus: () => call<ConnectionStatus>("get_connection_status"),
    async onConnectionStatus(onChange) {
      return listen<ConnectionStatus>("connection-status", (event) => {
        onChange(event.payload);
      });
    },
    async onEvent(onEvent) {
      // The shell sends core events in batches (at most every 250 ms).
      return listen<QueueEvent[]>("job-event", (event) => {
        for (const e of event.payload) onEvent(e);
      });
    },
    listQueues: () => call<QueueStats[]>("list_queues"),
    createQueue: (name) => call<CreatedQueue>("create_queue", { name } satisfies NewQueue),
    listThroughput: (minutes) => call<QueueThroughput[]>("list_throughput", { minutes }),
    listJobs: (queue, query) => call<JobPage>("list_jobs", { queue, query }),
    actOnMatching: (queue, state, filter, action) =>
      call<BulkOutcome>("act_on_matching_jobs", { queue, state, filter, action }),
    getJob: (queue, id) => call<JobDetail>("get_job", { queue, id }),
    updateJobData: (queue, id, data) => call<JobDetail>("update_job_data", { queue, id, data }),
    addJob: (queue, job) => call<AddedJob>("add_job", { queue, ...job }),
    checkJob: (queue, job) => run("check_job", { queue, ...job }),
    listJobTypes: () => call<Catalogue>("list_job_types"),
    retryJob: (queue, id) => run("retry_job", { queue, id }),
    removeJob: (queue, id) => run("remove_job", { queue, id }),
    promoteJob: (queue, id) => run("promote_job", { queue, id }),
    retryFailed: (queue) => call<number>("retry_failed_jobs", { queue }),
    promoteAll: (queue) => call<number>("promote_delayed_jobs", { queue }),
    pauseQueue: (queue) => run("pause_queue", { queue }),
    resumeQueue: (queue) => run("resume_queue", { queue }),
    cleanQueue: (queue, options) => call<number>("clean_queue", { queue, options }),
    getHealth: () => call<HealthStatus>("get_health"),
    listSchedules: () => call<ScheduleView[]>("list_schedules"),
    addSchedule: (input) => call<ScheduleView>("add_schedule", { input }),
    updateSchedule: (name, update) => call<ScheduleView>("update_schedule", { name, update }),
    enableSchedule: (name) => call<ScheduleView>("enable_schedule", { name }),
    disableSchedule: (name) => call<ScheduleView>("disable_schedule", { name }),
    runSchedule: (name) => call<AddedJob>("run_schedule", { name }),
    removeSchedule: (name) => run("remove_schedule", { name }),
    previewCron: (cron, timezone, count) =>
      call<Preview>("preview_cron", { cron, timezone: timezone ?? null, count: count ?? null }),
    listDynamicSchedules: () => call<DynamicScheduleView[]>("list_dynamic_schedules"),
    addDynamicSchedule: (input) => call<DynamicScheduleView>("add_dynamic_schedule", { input }),
    updateDynamicSchedule: (name, update) => call<DynamicScheduleView>("update_dynamic_schedule", { name, update }),
    setDynamicScheduleEnabled: (name, enabled) =>
      call<DynamicScheduleView>("set_dynamic_schedule_enabled", { name, enabled }),
    removeDynamicSchedule: (name) => run("remove_dynamic_schedule", { name }),
    listNodes: () => call<NodeInfo[]>("list_nodes"),
    sendNodeCommand: (node, command) => call<CommandReply>("send_node_command", { node, command }),
    listScalingLog: (count) => call<ScalingRecord[]>("list_scaling_log", { count }),
    getScalingRules: () => call<ScalingRules>("get_scaling_rules"),
    listAudit: (limit) => call<AuditEntry[]>("list_audit", { limit }),
    listProducts: (query) => call<ProductPage>("list_products", { query }),
    listSites: () => call<DomainStats[]>("list_sites"),
    async exportProducts(format) {
      return { kind: "saved", path: await call<string>("export_products", { format }) };
    },
    desktop: {
      getNotificationPrefs: () => call<AlertPrefs>("get_notification_prefs"),
      saveNotificationPrefs: (prefs) => call<AlertPrefs>("save_notification_prefs", { prefs }),
      getCloseToTray: () => call<boolean>("get_close_to_tray"),
      setCloseToTray: (on) => call<boolean>("set_close_to_tray", { on }),
      listConnections: () => call<ConnectionList>("list_connections"),
      saveConnection: (input) => call<SavedConnection>("save_connection", { input }),
      removeConnection: (id) => run("remove_connection", { id }),
      testConnection: (input) => call<ConnectionTest>("test_connection", { input }),
      useConnection: (id) => run("use_connection", { id }),
      pauseAllQueues: () => call<string[]>("pause_all_queues"),
      resumeAllQueues: () => call<string[]>("resume_all_queues"),
      getDashboard: () => call<DashboardStatus>("get_dashboard"),
      saveDashboard: (settings) => call<DashboardStatus>("save_dashboard", { settings }),
      getDashboardPassword: () => call<string>("get_dashboard_password"),
      getHttpTargets: () => call<HttpTargetsView>("get_http_targets"),
      saveHttpTargets: (targets) => call<HttpTargetsView>("save_http_targets", { targets }),
      getSigningSecret: () => call<string>("get_signing_secret"),
      onNavigate: (go) => listen<string>("navigate", (event) => go(event.payload)),
    },
  };
}

/** True inside the Tauri window. */
export function insideTauri(): boolean {
  return typeof window !== "undefined" && "__TAURI_INTERNALS__" in window;
}
