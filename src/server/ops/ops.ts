// The ops control plane in one place (spec §1.6–§1.9, §8): metrics, overview, services, alerts with the health
// checker, storage, and the periodic pushes (`ops.metrics.updated` every 2 s, the full alert and timeline lists
// every 5 s, while /ws/events has subscribers). The timeline itself is built before (ctx.opsTimeline) so every ops
// writer can record into it.
import {
  ALERTS_LIMIT_DEFAULT,
  type HostMetrics,
  OpsEventType,
  type OpsMetricsUpdatedPayload,
} from "../../protocol/ops.js";
import type { EventHub } from "../events/hub.js";
import type { Store } from "../store/database.js";
import { OpsServicesRepo } from "../store/opsServicesRepo.js";
import { OpsAlerts } from "./alerts/alerts.js";
import { HealthChecker } from "./alerts/health.js";
import { StoreIntegrity } from "./alerts/storeIntegrity.js";
import { MetricsCollector } from "./host/metrics.js";
import { OverviewBuilder } from "./host/overview.js";
import type { OpsConfig } from "./opsConfig.js";
import { OpsServices } from "./services/catalog.js";
import { detectServiceManager } from "./services/detect.js";
import { type CommandRunner, execRunner } from "./services/runner.js";
import { StorageStats } from "./storage.js";
import type { OpsTimeline } from "./timeline/timeline.js";

export interface OpsLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface OpsOptions {
  store: Store;
  events: EventHub;
  timeline: OpsTimeline;
  config: OpsConfig;
  version: string;
  log: OpsLogger;
  runner?: CommandRunner;
}

const TIMELINE_PUSH = 200;

export class Ops {
  readonly metrics: MetricsCollector;
  readonly overview: OverviewBuilder;
  readonly services: OpsServices;
  readonly alerts: OpsAlerts;
  readonly health: HealthChecker;
  readonly storage: StorageStats;
  readonly timeline: OpsTimeline;
  /** What this start did with a database it could not open (alert, timeline entry, GET /api/meta). */
  readonly storeIntegrity: StoreIntegrity;
  /** Removes the periodic pushes (each runs only while /ws/events has subscribers). */
  private readonly pushes: Array<() => void> = [];
  private metricsBusy = false;

  constructor(private readonly options: OpsOptions) {
    const { store, events, timeline, config } = options;
    this.timeline = timeline;
    this.metrics = new MetricsCollector();
    this.alerts = new OpsAlerts(store, events, timeline);
    this.storeIntegrity = new StoreIntegrity(store.recovery, this.alerts, timeline);
    try {
      this.storeIntegrity.report();
    } catch (error) {
      options.log.warn({ err: error }, "ops: the store recovery could not be reported");
    }
    const availability = detectServiceManager({ setting: config.serviceManager });
    if (!availability.available) {
      options.log.info(
        { reason: availability.reason },
        "ops: service manager unavailable; service routes answer 503",
      );
    }
    this.services = new OpsServices({
      availability,
      runner: options.runner ?? execRunner,
      repo: new OpsServicesRepo(store),
      events,
      timeline,
      alerts: this.alerts,
      overview: () => this.overview.build(),
      commandTimeoutMs: config.commandTimeoutMs,
    });
    this.overview = new OverviewBuilder({
      version: options.version,
      databasePath: store.path,
      eventSubscribers: () => events.subscriberCount,
      loadAvg: () => this.metrics.loadAvg(),
      services: () => this.services.listIfAvailable().catch(() => undefined),
      servicesReason: () => this.services.reason || "service states could not be read",
    });
    this.health = new HealthChecker(
      this.alerts,
      { metrics: () => this.metrics.collect(), services: () => this.services.listIfAvailable() },
      { cpuPercent: config.cpuThreshold, memPercent: config.memThreshold, diskPercent: config.diskThreshold },
      options.log,
    );
    this.storage = new StorageStats(store);
  }

  /** Starts the health checker and the periodic pushes (each interval 0 is off). */
  start(): void {
    const { config, events } = this.options;
    this.health.start(config.healthIntervalMs);
    this.every(config.metricsIntervalMs, () => {
      // A slow /proc never stacks collections.
      if (this.metricsBusy) return;
      this.metricsBusy = true;
      this.metrics
        .collect()
        .then((metrics: HostMetrics) => {
          const payload: OpsMetricsUpdatedPayload = { metrics };
          events.publish(OpsEventType.MetricsUpdated, payload);
        })
        .catch((error) => this.options.log.warn({ err: error }, "ops metrics failed"))
        .finally(() => {
          this.metricsBusy = false;
        });
    });
    this.every(config.alertsIntervalMs, () => {
      events.publish(OpsEventType.AlertsUpdated, { alerts: this.alerts.list(ALERTS_LIMIT_DEFAULT) });
    });
    this.every(config.timelineIntervalMs, () => {
      events.publish(OpsEventType.TimelineUpdated, { events: this.timeline.latest(TIMELINE_PUSH) });
    });
  }

  /** A push every `ms` while /ws/events has subscribers: the first one `ms` after the first subscriber came. */
  private every(ms: number, fn: () => void): void {
    if (ms <= 0) return;
    this.pushes.push(
      this.options.events.whileSubscribed(() => {
        const timer = setInterval(() => {
          try {
            fn();
          } catch (error) {
            this.options.log.warn({ err: error }, "ops ticker failed");
          }
        }, ms);
        timer.unref();
        return () => clearInterval(timer);
      }),
    );
  }

  close(): void {
    this.health.stop();
    for (const remove of this.pushes.splice(0)) remove();
  }
}
