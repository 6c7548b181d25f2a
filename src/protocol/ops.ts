// The ops control plane on the wire (spec §1.6, §1.7, §1.9, §3.3 `ops.*`, §8): host overview and metrics,
// services, alerts, the ops timeline, config and storage. Runbooks, jobs and schedules live in opsRunbooks.ts.
// Quirk kept (Appendix A): `globalRev` in every ops payload is `Date.now()` in milliseconds, not the watchtower
// journal revision, and `metadata` of alerts and timeline events is a JSON-encoded string.

// ---------------------------------------------------------------------------------------------------------
// Overview and metrics (§1.6)

/** `GET /api/ops/overview`. The spec's keys are kept; this port adds host OS, uptime and load and its own figures. */
export interface Overview {
  host: {
    hostname: string;
    /** `process.platform` (`linux`, `darwin`), as Go's GOOS. */
    os: string;
    /** Go's GOARCH names (`amd64`, `arm64`). */
    arch: string;
    cpus: number;
    /** The key name is the spec's; the value is `process.version`. */
    goVersion: string;
    /** Port addition: the kernel release (`uname -r`). */
    kernel: string;
    /** Port addition: `PRETTY_NAME` of /etc/os-release, or `os.type()` when absent. */
    osName: string;
    /** Port addition: seconds since boot (/proc/uptime). */
    uptimeSec: number;
    /** Port addition: /proc/loadavg, -1 each when unreadable. */
    loadAvg: [number, number, number];
  };
  sentinel: {
    pid: number;
    uptimeSec: number;
    /** Port additions: this server's version, resident memory, heap, events subscribers and database size. */
    version: string;
    rssBytes: number;
    heapUsedBytes: number;
    eventSubscribers: number;
    databaseBytes: number;
  };
  services: {
    total: number;
    active: number;
    failed: number;
    /** Port addition: false where no service manager exists (containers, CI); then the counts are 0. */
    available: boolean;
    /** Port addition: why the service manager is unavailable ("" when it is available). */
    reason: string;
  };
  updatedAt: string;
}

/** `GET /api/ops/metrics` and `ops.metrics.updated`. The Go runtime keys hold Node's figures (spec port note). */
export interface HostMetrics {
  /** -1 when /proc/stat cannot be read. */
  cpuPercent: number;
  memUsedBytes: number;
  memTotalBytes: number;
  memPercent: number;
  diskUsedBytes: number;
  diskTotalBytes: number;
  diskPercent: number;
  loadAvg1: number;
  loadAvg5: number;
  loadAvg15: number;
  /** Active event-loop handles of this process. */
  numGoroutines: number;
  /** V8 heapUsed in MiB, one decimal. */
  goMemAllocMB: number;
  collectedAt: string;
}

export interface OverviewResponse {
  overview: Overview;
}
export interface MetricsResponse {
  metrics: HostMetrics;
}

// ---------------------------------------------------------------------------------------------------------
// Services (§1.6, §8)

export type ServiceManagerName = "systemd" | "launchd" | "none";
export type ServiceScope = "user" | "system";

export interface ServiceStatus {
  name: string;
  displayName: string;
  manager: string;
  scope: string;
  unit: string;
  exists: boolean;
  /** systemctl's strings (`enabled`, `disabled`, `static`, …); `-` when empty, `unknown` when unreadable. */
  enabledState: string;
  activeState: string;
  lastRunState?: string;
  updatedAt: string;
}

export interface BrowsedService {
  unit: string;
  description: string;
  activeState: string;
  enabledState: string;
  manager: string;
  scope: string;
  tracked: boolean;
  trackedName?: string;
}

export interface DiscoveredService {
  unit: string;
  description: string;
  activeState: string;
  manager: string;
  scope: string;
}

export interface ServiceInspect {
  service: ServiceStatus;
  summary: string;
  properties?: Record<string, string>;
  output?: string;
  checkedAt: string;
}

export type ServiceAction = "start" | "stop" | "restart";
export const SERVICE_ACTIONS: readonly ServiceAction[] = ["start", "stop", "restart"];

export interface ServicesResponse {
  services: ServiceStatus[];
}
export interface RegisterServiceResponse {
  services: ServiceStatus[];
  globalRev: number;
}
export interface UnregisterServiceResponse {
  removed: string;
  globalRev: number;
}
export interface BrowseServicesResponse {
  services: BrowsedService[];
}
export interface DiscoverServicesResponse {
  services: DiscoveredService[];
}
export interface ServiceActionResponse {
  service: ServiceStatus;
  services: ServiceStatus[];
  overview: Overview;
  alerts: OpsAlert[];
  globalRev: number;
  timelineEvent: OpsTimelineEvent;
}
export interface UnitActionResponse {
  overview: Overview;
  alerts: OpsAlert[];
  globalRev: number;
  timelineEvent: OpsTimelineEvent;
}
export interface ServiceStatusResponse {
  status: ServiceInspect;
}
export interface ServiceLogsResponse {
  service: string;
  lines: number;
  output: string;
}
export interface UnitLogsResponse {
  unit: string;
  lines: number;
  output: string;
}

/** `/ws/logs` messages (§2.5). */
export type LogsStreamMessage =
  | { type: "status"; state: "streaming" }
  | { type: "log"; line: string }
  | { type: "error"; message: string };

// ---------------------------------------------------------------------------------------------------------
// Alerts and timeline (§1.7)

export type OpsSeverity = "info" | "warn" | "error";
export type AlertStatus = "open" | "acked" | "resolved";
export const ALERT_STATUSES: readonly AlertStatus[] = ["open", "acked", "resolved"];

/** `warn`/`warning` → warn, `error`/`err` → error, anything else → info (§1.7). */
export function normalizeSeverity(value: string | undefined): OpsSeverity {
  const v = (value ?? "").trim().toLowerCase();
  if (v === "warn" || v === "warning") return "warn";
  if (v === "error" || v === "err") return "error";
  return "info";
}

export interface OpsAlert {
  id: number;
  dedupeKey: string;
  source: string;
  resource: string;
  title: string;
  message: string;
  severity: OpsSeverity;
  status: AlertStatus;
  occurrences: number;
  /** A JSON-encoded object (kept for wire compatibility). */
  metadata: string;
  firstSeenAt: string;
  lastSeenAt: string;
  ackedAt?: string;
  resolvedAt?: string;
}

export interface OpsTimelineEvent {
  id: number;
  source: string;
  eventType: string;
  severity: OpsSeverity;
  resource: string;
  message: string;
  details: string;
  /** A JSON-encoded object (kept for wire compatibility). */
  metadata: string;
  createdAt: string;
}

export interface AlertsResponse {
  alerts: OpsAlert[];
}
export interface AckAlertResponse {
  alert: OpsAlert;
  timelineEvent: OpsTimelineEvent;
  globalRev: number;
}
export interface TimelineResponse {
  events: OpsTimelineEvent[];
  hasMore: boolean;
}

export const ALERTS_LIMIT_DEFAULT = 100;
export const ALERTS_LIMIT_MAX = 500;
export const TIMELINE_LIMIT_DEFAULT = 100;
export const TIMELINE_LIMIT_MAX = 500;

/** Health-check thresholds (§8), in percent; configurable in this port (`ops_*_threshold`). */
export interface HealthThresholds {
  cpuPercent: number;
  memPercent: number;
  diskPercent: number;
}

// ---------------------------------------------------------------------------------------------------------
// Config and storage (§1.9)

export interface ConfigResponse {
  path: string;
  /** The file's text with the token's value masked (this port never returns the token in clear). */
  content: string;
}
export interface ConfigPatchResponse {
  path: string;
  message: string;
}

/** What `GET /api/ops/config` shows in place of the token's value. */
export const TOKEN_MASK = "********";

export type StorageResourceName =
  | "timeline"
  | "activity-journal"
  | "guardrail-audit"
  | "recovery-history"
  | "ops-timeline"
  | "ops-alerts"
  | "ops-jobs";

export interface StorageResourceStats {
  resource: StorageResourceName;
  label: string;
  rows: number;
  approxBytes: number;
}
export interface StorageStatsResponse {
  databaseBytes: number;
  walBytes: number;
  shmBytes: number;
  totalBytes: number;
  resources: StorageResourceStats[];
  collectedAt: string;
}
export interface StorageFlushResponse {
  results: Array<{ resource: StorageResourceName; removedRows: number }>;
  flushedAt: string;
}

// ---------------------------------------------------------------------------------------------------------
// Events (§3.3)

export const OpsEventType = {
  OverviewUpdated: "ops.overview.updated",
  ServicesUpdated: "ops.services.updated",
  AlertsUpdated: "ops.alerts.updated",
  TimelineUpdated: "ops.timeline.updated",
  MetricsUpdated: "ops.metrics.updated",
} as const;

export interface OpsOverviewUpdatedPayload {
  globalRev: number;
  overview: Overview;
}
export type OpsServicesUpdatedPayload =
  | { globalRev: number; service: string; action: ServiceAction; services: ServiceStatus[] }
  | { globalRev: number; service: string; action: ServiceAction }
  | { globalRev: number; action: "registered" | "unregistered"; service: string };
export type OpsAlertsUpdatedPayload =
  | { globalRev: number; alerts: OpsAlert[] }
  | { globalRev: number; alert: OpsAlert; action: "ack" }
  | { globalRev: number; alert: OpsAlert }
  | { alerts: OpsAlert[] };
export type OpsTimelineUpdatedPayload =
  | { globalRev: number; event: OpsTimelineEvent }
  | { events: OpsTimelineEvent[] };
export interface OpsMetricsUpdatedPayload {
  metrics: HostMetrics;
}

// ---------------------------------------------------------------------------------------------------------
// Errors (§0.7)

export const OpsErrorCode = {
  Unavailable: "OPS_UNAVAILABLE",
  ServiceNotFound: "OPS_SERVICE_NOT_FOUND",
  ServiceExists: "OPS_SERVICE_EXISTS",
  ActionFailed: "OPS_ACTION_FAILED",
  LogsFailed: "OPS_LOGS_FAILED",
  DiscoverFailed: "OPS_DISCOVER_FAILED",
  BrowseFailed: "OPS_BROWSE_FAILED",
  AlertNotFound: "OPS_ALERT_NOT_FOUND",
  ConfigUnavailable: "CONFIG_UNAVAILABLE",
  ConfigReadFailed: "CONFIG_READ_FAILED",
  ConfigWriteFailed: "CONFIG_WRITE_FAILED",
  StoreError: "STORE_ERROR",
} as const;

/**
 * `details` of the 503 `OPS_UNAVAILABLE` every service route answers where no service manager runs (containers,
 * CI): the message starts with "service manager unavailable", the rest of ops keeps working.
 */
export interface ServiceManagerUnavailableDetails {
  serviceManager: "none";
  reason: string;
}

export const OpsMessages = {
  serviceManagerUnavailable: "service manager unavailable",
  nameRequired: "name is required",
  unitRequired: "unit is required",
  invalidAction: "action must be start, stop, or restart",
  serviceNotFound: "ops service not found",
  customServiceNotFound: "custom service not found",
  serviceExists: "custom service already exists",
  invalidAlertId: "alert must be a positive integer",
  alertNotFound: "ops alert not found",
  invalidStatus: "invalid ops filter: status",
  invalidSeverity: "invalid ops filter: severity",
  invalidLimit: "limit must be a positive integer",
  contentRequired: "content is required",
  configUpdated: "config updated (restart required for changes to take effect)",
  resourceRequired: "resource is required",
  invalidResource: "invalid resource",
  invalidScope: "scope must be user or system",
  invalidManager: "manager must be systemd or launchd",
  invalidLines: "lines must be a positive integer",
  serviceOrUnitRequired: "service or unit required",
} as const;
