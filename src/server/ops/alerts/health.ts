// The health checker (spec §8): every interval (30 s, first run after one interval) it reads the host metrics
// and the tracked services, raises an alert per condition over its threshold (each raise publishes, so a
// persisting condition re-publishes every run) and resolves the ones that cleared.
import type { HealthThresholds, HostMetrics, ServiceStatus } from "../../../protocol/ops.js";
import type { OpsAlerts } from "./alerts.js";

export interface HealthSources {
  metrics(): Promise<HostMetrics>;
  /** Tracked services, or undefined where no service manager runs (the service checks are skipped). */
  services(): Promise<ServiceStatus[] | undefined>;
}

export interface HealthLogger {
  warn(obj: object, msg: string): void;
}

/** What one run found, for logs and tests. */
export interface HealthReport {
  raised: string[];
  resolved: string[];
}

export const HealthKey = {
  cpu: "health:host:cpu:high",
  memory: "health:host:memory:high",
  disk: "health:host:disk:high",
  service: (name: string) => `health:service:${name}:failed`,
} as const;

const fmt = (n: number) => `${Math.round(n * 10) / 10}%`;

export class HealthChecker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<HealthReport> | undefined;

  constructor(
    private readonly alerts: OpsAlerts,
    private readonly sources: HealthSources,
    readonly thresholds: HealthThresholds,
    private readonly log?: HealthLogger,
  ) {}

  /** Runs every `intervalMs` (0: never); the first run is after one interval, as the seed's. */
  start(intervalMs: number): void {
    if (intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      this.check().catch((error) => this.log?.warn({ err: error }, "ops health check failed"));
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One run; concurrent calls share it. */
  check(): Promise<HealthReport> {
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async run(): Promise<HealthReport> {
    const report: HealthReport = { raised: [], resolved: [] };
    const [metrics, services] = await Promise.all([
      this.sources.metrics(),
      this.sources.services().catch(() => undefined),
    ]);
    const { cpuPercent: cpuMax, memPercent: memMax, diskPercent: diskMax } = this.thresholds;
    const raise = (key: string, raise: () => void) => {
      raise();
      report.raised.push(key);
    };
    const resolve = (key: string) => {
      if (this.alerts.resolve(key)) report.resolved.push(key);
    };

    // CPU: a failed reading (-1) neither raises nor resolves.
    if (metrics.cpuPercent >= 0) {
      if (metrics.cpuPercent > cpuMax) {
        raise(HealthKey.cpu, () =>
          this.alerts.raise({
            dedupeKey: HealthKey.cpu,
            source: "health",
            resource: "host",
            title: "High CPU usage",
            message: `CPU usage is ${fmt(metrics.cpuPercent)} (threshold: ${fmt(cpuMax)})`,
            severity: "warn",
            metadata: { cpuPercent: metrics.cpuPercent, threshold: cpuMax },
          }),
        );
      } else resolve(HealthKey.cpu);
    }
    if (metrics.memTotalBytes > 0) {
      if (metrics.memPercent > memMax) {
        raise(HealthKey.memory, () =>
          this.alerts.raise({
            dedupeKey: HealthKey.memory,
            source: "health",
            resource: "host",
            title: "High memory usage",
            message: `Memory usage is ${fmt(metrics.memPercent)} (threshold: ${fmt(memMax)})`,
            severity: "warn",
            metadata: { memPercent: metrics.memPercent, threshold: memMax },
          }),
        );
      } else resolve(HealthKey.memory);
    }
    if (metrics.diskTotalBytes > 0) {
      if (metrics.diskPercent > diskMax) {
        raise(HealthKey.disk, () =>
          this.alerts.raise({
            dedupeKey: HealthKey.disk,
            source: "health",
            resource: "/",
            title: "High disk usage",
            message: `Disk usage of / is ${fmt(metrics.diskPercent)} (threshold: ${fmt(diskMax)})`,
            severity: "error",
            metadata: { diskPercent: metrics.diskPercent, threshold: diskMax },
          }),
        );
      } else resolve(HealthKey.disk);
    }
    for (const service of services ?? []) {
      const key = HealthKey.service(service.name);
      if (service.activeState === "failed") {
        raise(key, () =>
          this.alerts.raise({
            dedupeKey: key,
            source: "health",
            resource: service.name,
            title: `Service ${service.displayName} failed`,
            message: `Service ${service.displayName} is in failed state (unit=${service.unit})`,
            severity: "error",
            metadata: { state: service.activeState, unit: service.unit },
          }),
        );
      } else if (service.activeState === "active" || service.activeState === "running") {
        resolve(key);
      }
    }
    return report;
  }
}
