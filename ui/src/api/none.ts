import { ApiError, type Api } from "./api";

/**
 * Opened as a plain file (no desktop shell, no dashboard behind it) there is no Antrian to
 * talk to: every call says so instead of pretending.
 */
export function noTransportApi(): Api {
  const unavailable = () =>
    Promise.reject(
      new ApiError(
        "unavailable",
        "This page is not connected to Antrian: open it in the desktop app or from `antrian dashboard`.",
      ),
    );
  const quiet = () => Promise.resolve(() => undefined);
  return {
    transport: "none",
    getConnectionStatus: unavailable,
    onConnectionStatus: quiet,
    onEvent: quiet,
    listQueues: unavailable,
    createQueue: unavailable,
    listJobs: unavailable,
    actOnMatching: unavailable,
    getJob: unavailable,
    updateJobData: unavailable,
    listThroughput: unavailable,
    addJob: unavailable,
    checkJob: unavailable,
    listJobTypes: unavailable,
    retryJob: unavailable,
    removeJob: unavailable,
    promoteJob: unavailable,
    retryFailed: unavailable,
    promoteAll: unavailable,
    pauseQueue: unavailable,
    resumeQueue: unavailable,
    cleanQueue: unavailable,
    getHealth: unavailable,
    listSchedules: unavailable,
    addSchedule: unavailable,
    updateSchedule: unavailable,
    enableSchedule: unavailable,
    disableSchedule: unavailable,
    runSchedule: unavailable,
    removeSchedule: unavailable,
    previewCron: unavailable,
    listDynamicSchedules: unavailable,
    addDynamicSchedule: unavailable,
    updateDynamicSchedule: unavailable,
    setDynamicScheduleEnabled: unavailable,
    removeDynamicSchedule: unavailable,
    listNodes: unavailable,
    sendNodeCommand: unavailable,
    listScalingLog: unavailable,
    getScalingRules: unavailable,
    listAudit: unavailable,
    listProducts: unavailable,
    listSites: unavailable,
    exportProducts: unavailable,
    desktop: null,
  };
}
