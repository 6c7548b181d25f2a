// The ops settings (this port's keys; spec §10 hard-codes these values): the service manager choice, the health
// checker's period and thresholds, the periodic pushes, and the ops timeline's retention. Declared, read and
// checked with every other setting in src/server/settings/schema.ts.
import type { Settings } from "../settings/schema.js";

export interface OpsConfig {
  /** `ops_service_manager`: `auto` (systemd when it runs: /run/systemd/system), `systemd`, or `none`. */
  serviceManager: Settings["ops_service_manager"];
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

export function opsConfig(s: Settings): OpsConfig {
  return {
    serviceManager: s.ops_service_manager,
    healthIntervalMs: s.ops_health_interval,
    cpuThreshold: s.ops_cpu_threshold,
    memThreshold: s.ops_memory_threshold,
    diskThreshold: s.ops_disk_threshold,
    metricsIntervalMs: s.ops_metrics_interval,
    alertsIntervalMs: s.ops_alerts_interval,
    timelineIntervalMs: s.ops_timeline_interval,
    timelineRows: s.ops_timeline_rows,
    commandTimeoutMs: s.ops_command_timeout,
    timelineMaxAgeMs: s.ops_timeline_max_age,
  };
}
