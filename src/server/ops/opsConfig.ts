// The ops settings of the config file and environment (this port's keys; spec §10 hard-codes these values):
// the service manager choice, the health checker's period and thresholds, the periodic pushes, and the ops
// timeline's retention.
import { parseDuration } from "../config.js";

export interface OpsConfig {
  /** `ops_service_manager`: `auto` (systemd when it runs: /run/systemd/system), `systemd`, or `none`. */
  serviceManager: "auto" | "systemd" | "none";
  /** `ops_health_interval`: the health checker's period (30 s; `0` switches it off). */
  healthIntervalMs: number;
  /** `ops_cpu_threshold`, `ops_memory_threshold`, `ops_disk_threshold`: percent (90/90/95). */
  cpuThreshold: number;
  memThreshold: number;
  diskThreshold: number;
  /** `ops_metrics_interval`: `ops.metrics.updated` period (2 s; `0` off). */
  metricsIntervalMs: number;
  /** `ops_alerts_interval`, `ops_timeline_interval`: the full-list pushes (5 s each; `0` off). */
  alertsIntervalMs: number;
  timelineIntervalMs: number;
  /** `ops_timeline_rows`: newest ops timeline rows kept (20000). */
  timelineRows: number;
  /** `ops_command_timeout`: overrides the spec's 3–8 s limits of systemctl/journalctl calls (`0`: the spec's). */
  commandTimeoutMs: number;
  /** `ops_timeline_max_age`: ops timeline rows older than this are dropped (`0`, the default: no age limit). */
  timelineMaxAgeMs: number;
}

/** A duration where `0` (or `off`) means "switched off"; invalid is the default. */
function durationOrOff(value: string | undefined, fallback: number): number {
  const v = value?.trim().toLowerCase();
  if (v === "0" || v === "off") return 0;
  return parseDuration(value) ?? fallback;
}

/** A percentage in [0, 100]; anything else is the default. */
function percent(value: string | undefined, fallback: number): number {
  if (value === undefined || value.trim() === "") return fallback;
  const n = Number(value.trim());
  return Number.isFinite(n) && n >= 0 && n <= 100 ? n : fallback;
}

function positiveInt(value: string | undefined, fallback: number): number {
  if (value === undefined || value.trim() === "") return fallback;
  const n = Number(value.trim());
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/** `pick(envName, key)`: a non-blank env var, then a non-blank file value (src/server/config.ts). */
export function loadOpsConfig(pick: (envName: string, key: string) => string | undefined): OpsConfig {
  const manager = pick("SENTINEL_OPS_SERVICE_MANAGER", "ops_service_manager")?.toLowerCase();
  return {
    serviceManager: manager === "systemd" || manager === "none" ? manager : "auto",
    healthIntervalMs: durationOrOff(pick("SENTINEL_OPS_HEALTH_INTERVAL", "ops_health_interval"), 30_000),
    cpuThreshold: percent(pick("SENTINEL_OPS_CPU_THRESHOLD", "ops_cpu_threshold"), 90),
    memThreshold: percent(pick("SENTINEL_OPS_MEMORY_THRESHOLD", "ops_memory_threshold"), 90),
    diskThreshold: percent(pick("SENTINEL_OPS_DISK_THRESHOLD", "ops_disk_threshold"), 95),
    metricsIntervalMs: durationOrOff(pick("SENTINEL_OPS_METRICS_INTERVAL", "ops_metrics_interval"), 2000),
    alertsIntervalMs: durationOrOff(pick("SENTINEL_OPS_ALERTS_INTERVAL", "ops_alerts_interval"), 5000),
    timelineIntervalMs: durationOrOff(pick("SENTINEL_OPS_TIMELINE_INTERVAL", "ops_timeline_interval"), 5000),
    timelineRows: positiveInt(pick("SENTINEL_OPS_TIMELINE_ROWS", "ops_timeline_rows"), 20_000),
    commandTimeoutMs: durationOrOff(pick("SENTINEL_OPS_COMMAND_TIMEOUT", "ops_command_timeout"), 0),
    timelineMaxAgeMs: durationOrOff(pick("SENTINEL_OPS_TIMELINE_MAX_AGE", "ops_timeline_max_age"), 0),
  };
}
