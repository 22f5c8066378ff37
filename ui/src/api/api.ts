import type {
  AddedJob,
  AlertPrefs,
  AuditEntry,
  ConnectionInput,
  ConnectionList,
  ConnectionTest,
  SavedConnection,
  BulkAction,
  BulkOutcome,
  CleanOptions,
  CommandReply,
  CreatedQueue,
  DashboardSettings,
  DashboardStatus,
  HttpTargetInput,
  HttpTargetsView,
  ConnectionStatus,
  Catalogue,
  DomainStats,
  DynamicScheduleInput,
  DynamicScheduleUpdate,
  DynamicScheduleView,
  NodeCommand,
  NodeInfo,
  ProductPage,
  ProductQuery,
  ScalingRecord,
  ScalingRules,
  ErrorCode,
  HealthStatus,
  JobDetail,
  JobFilter,
  JobPage,
  JobQuery,
  JobState,
  NewJob,
  Preview,
  QueueEvent,
  QueueStats,
  QueueThroughput,
  ScheduleInput,
  ScheduleUpdate,
  ScheduleView,
} from "./types";

/** Stops a subscription. */
export type Unsubscribe = () => void;

/** Where an export went: a download the browser fetches, or a file the app wrote. */
export type ExportResult = { kind: "download"; href: string } | { kind: "saved"; path: string };

/**
 * Everything the UI asks of Antrian. Two adapters implement it: Tauri IPC in the desktop
 * window (./tauri.ts) and the HTTP dashboard's REST API with server-sent events (./http.ts).
 * Every method rejects with an {@link ApiError}.
 */
export interface Api {
  /** Which transport this is, for the status bar. */
  readonly transport: "tauri" | "http" | "none";
  /** The current Redis connection status. */
  getConnectionStatus(): Promise<ConnectionStatus>;
  /** Calls `onChange` with every new connection status until unsubscribed. */
  onConnectionStatus(onChange: (status: ConnectionStatus) => void): Promise<Unsubscribe>;
  /** Calls `onEvent` with every core event (jobs, queues, scaling, schedules, health). */
  onEvent(onEvent: (event: QueueEvent) => void): Promise<Unsubscribe>;

  /** Every known queue's counts. */
  listQueues(): Promise<QueueStats[]>;
  /** Creates a queue so jobs can be added to it; `created` is false when it existed. */
  createQueue(name: string): Promise<CreatedQueue>;
  /** One page of a queue's jobs in one state. */
  listJobs(queue: string, query: JobQuery): Promise<JobPage>;
  /** Retries, removes or promotes every job in a state that the filter keeps. */
  actOnMatching(queue: string, state: JobState, filter: JobFilter, action: BulkAction): Promise<BulkOutcome>;
  /** One job in full, logs included. */
  getJob(queue: string, id: string): Promise<JobDetail>;
  /** Replaces the data of a job no worker holds and that has not completed; the job after. */
  updateJobData(queue: string, id: string, data: Record<string, unknown>): Promise<JobDetail>;
  /** Every job type with the JSON Schema of its data, the priorities and the queue defaults. */
  listJobTypes(): Promise<Catalogue>;
  /** Whether `addJob` would take this job (the same checks); nothing is added. */
  checkJob(queue: string, job: NewJob): Promise<void>;
  addJob(queue: string, job: NewJob): Promise<AddedJob>;
  retryJob(queue: string, id: string): Promise<void>;
  removeJob(queue: string, id: string): Promise<void>;
  promoteJob(queue: string, id: string): Promise<void>;
  /** Runs every delayed job of the queue now; how many. */
  promoteAll(queue: string): Promise<number>;
  /** Retries every failed job of the queue; how many. */
  retryFailed(queue: string): Promise<number>;
  pauseQueue(queue: string): Promise<void>;
  resumeQueue(queue: string): Promise<void>;
  /** Removes finished jobs as the seed's `cleanQueue`; how many. */
  cleanQueue(queue: string, options: CleanOptions): Promise<number>;
  /** Every queue's completed and failed jobs per minute over the last `minutes`. */
  listThroughput(minutes: number): Promise<QueueThroughput[]>;
  /** Health now, with its reasons. */
  getHealth(): Promise<HealthStatus>;

  listSchedules(): Promise<ScheduleView[]>;
  addSchedule(input: ScheduleInput): Promise<ScheduleView>;
  updateSchedule(name: string, change: ScheduleUpdate): Promise<ScheduleView>;
  enableSchedule(name: string): Promise<ScheduleView>;
  disableSchedule(name: string): Promise<ScheduleView>;
  runSchedule(name: string): Promise<AddedJob>;
  removeSchedule(name: string): Promise<void>;
  /** The next fire times of an expression (for an editor's live preview): `count`, or as
   * many as core shows by default. */
  previewCron(cron: string, timezone: string | undefined, count?: number): Promise<Preview>;

  /** Condition-based schedules with their evaluation state. */
  listDynamicSchedules(): Promise<DynamicScheduleView[]>;
  addDynamicSchedule(input: DynamicScheduleInput): Promise<DynamicScheduleView>;
  /** Changes a condition-based schedule in place; what is left out stays. */
  updateDynamicSchedule(name: string, update: DynamicScheduleUpdate): Promise<DynamicScheduleView>;
  setDynamicScheduleEnabled(name: string, enabled: boolean): Promise<DynamicScheduleView>;
  removeDynamicSchedule(name: string): Promise<void>;

  /** Every worker node (desktop apps, `antrian workers`) with its pools. */
  listNodes(): Promise<NodeInfo[]>;
  /** Scale, pause, resume or drain a node's pools; the node's reply. */
  sendNodeCommand(node: string, command: NodeCommand): Promise<CommandReply>;
  /** The latest auto-scaling decisions, newest first. */
  listScalingLog(count: number): Promise<ScalingRecord[]>;
  /** The audit log (who removed, retried, paused… what), newest first. */
  listAudit(limit: number): Promise<AuditEntry[]>;
  /** The auto-scaling rules the pools follow (the seed's autoScaling block). */
  getScalingRules(): Promise<ScalingRules>;

  /** Scraped products, filtered by name and shop. */
  listProducts(query: ProductQuery): Promise<ProductPage>;
  /** Per-site scrape outcome counters. */
  listSites(): Promise<DomainStats[]>;
  /** Every product as CSV or JSON. */
  exportProducts(format: "csv" | "json"): Promise<ExportResult>;

  /** What only the desktop app has (notifications, tray, saved connections); null elsewhere. */
  readonly desktop: DesktopApi | null;
}

/** Settings and signals of the desktop app itself. */
export interface DesktopApi {
  getNotificationPrefs(): Promise<AlertPrefs>;
  /** Saves and applies at once; rejects naming the bad field. */
  saveNotificationPrefs(prefs: AlertPrefs): Promise<AlertPrefs>;
  getCloseToTray(): Promise<boolean>;
  setCloseToTray(on: boolean): Promise<boolean>;
  listConnections(): Promise<ConnectionList>;
  /** Adds or changes a saved connection; its password goes to the OS keyring. */
  saveConnection(input: ConnectionInput): Promise<SavedConnection>;
  removeConnection(id: string): Promise<void>;
  /** Connects once and reports the server's version and latency, or what failed. */
  testConnection(input: ConnectionInput): Promise<ConnectionTest>;
  /** Switches to a saved connection (null: the default); workers drain and restart. */
  useConnection(id: string | null): Promise<void>;
  pauseAllQueues(): Promise<string[]>;
  resumeAllQueues(): Promise<string[]>;
  /** The HTTP dashboard this app serves: its settings, its address while it runs, or why not. */
  getDashboard(): Promise<DashboardStatus>;
  /** Saves the dashboard's settings (rejects naming a bad field) and serves it again. */
  saveDashboard(settings: DashboardSettings): Promise<DashboardStatus>;
  /** The dashboard's password (kept in the OS keyring), to show or copy. */
  getDashboardPassword(): Promise<string>;
  /** Custom queues whose jobs are POSTed to an endpoint, as saved in Settings. */
  getHttpTargets(): Promise<HttpTargetsView>;
  /** Saves them (rejects naming a bad row) and restarts Antrian on them. */
  saveHttpTargets(targets: HttpTargetInput[]): Promise<HttpTargetsView>;
  /** The secret the targets' requests are signed with, for receivers to verify them. */
  getSigningSecret(): Promise<string>;
  /** Calls `go` with a UI route when a notification or the tray asks to show one. */
  onNavigate(go: (link: string) => void): Promise<Unsubscribe>;
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

/** The HTTP dashboard's error codes (ErrorBody), mapped onto core's. */
export function httpErrorCode(status: number, code: unknown): ErrorCode {
  if (isErrorCode(code)) return code;
  if (status === 400 || status === 413 || status === 415) return "invalid_input";
  if (status === 404) return "not_found";
  if (status === 409) return "conflict";
  if (status >= 500 || status === 401 || status === 403 || status === 429) return "unavailable";
  return "internal";
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
