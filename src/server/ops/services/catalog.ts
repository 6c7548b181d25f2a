// Tracked services (spec §1.6, §8): the two built-ins and the user's custom services (register, unregister), by
// name: their states, browse/discover against every unit, actions with their timeline entry, alert and events,
// inspect and logs. What systemctl and journalctl do is ./units.ts; where no service manager runs every method
// throws the 503 "service manager unavailable" (OPS_UNAVAILABLE) the routes answer.
import { rfc3339Seconds } from "../../../protocol/events.js";
import {
  type BrowsedService,
  type DiscoveredService,
  OpsErrorCode,
  OpsEventType,
  OpsMessages,
  type OpsServicesUpdatedPayload,
  type Overview,
  type ServiceInspect,
  type ServiceScope,
  type ServiceStatus,
} from "../../../protocol/ops.js";
import { DomainError, invalidRequest } from "../../errors.js";
import type { EventHub } from "../../events/hub.js";
import { DuplicateServiceError, type OpsServicesRepo } from "../../store/opsServicesRepo.js";
import type { OpsAlerts } from "../alerts/alerts.js";
import { type OpsTimeline, opsGlobalRev } from "../timeline/timeline.js";
import type { ServiceManagerAvailability } from "./detect.js";
import {
  parseAction,
  parseManager,
  parseScope,
  parseUnitTarget,
  resolveServiceName,
  type UnitTarget,
  validateUnit,
} from "./input.js";
import type { CommandRunner } from "./runner.js";
import { type TrackedService, UnitCommands } from "./units.js";

export interface OpsServicesOptions {
  availability: ServiceManagerAvailability;
  runner: CommandRunner;
  repo: OpsServicesRepo;
  events: EventHub;
  timeline: OpsTimeline;
  alerts: OpsAlerts;
  /** The overview after an action (late-bound: the overview counts these services). */
  overview: () => Promise<Overview>;
  /** root tracks the built-ins in the system manager, everyone else in their user manager. */
  uid?: number;
  /** Overrides every systemctl/journalctl time limit (0: the spec's 3–8 s). */
  commandTimeoutMs?: number;
}

const SERVICE_NAME = /^[A-Za-z0-9._@:-]{1,64}$/;

export class OpsServices {
  private readonly opts: OpsServicesOptions;
  private readonly units: UnitCommands;

  constructor(options: OpsServicesOptions) {
    this.opts = options;
    this.units = new UnitCommands(options.availability, options.runner, options.commandTimeoutMs);
  }

  get available(): boolean {
    return this.units.available;
  }

  /** "" when available. */
  get reason(): string {
    return this.units.reason;
  }

  /** Throws the 503 every service route answers where no service manager runs. */
  assertAvailable(): void {
    this.units.assertAvailable();
  }

  private get builtInScope(): ServiceScope {
    return (this.opts.uid ?? process.getuid?.() ?? 1000) === 0 ? "system" : "user";
  }

  /** The built-ins, then the enabled custom services by name. */
  tracked(): TrackedService[] {
    const scope = this.builtInScope;
    return [
      {
        name: "sentinel",
        displayName: "Sentinel service",
        manager: "systemd",
        unit: "sentinel",
        scope,
        builtIn: true,
      },
      {
        name: "sentinel-updater",
        displayName: "Autoupdate timer",
        manager: "systemd",
        unit: "sentinel-updater.timer",
        scope,
        builtIn: true,
      },
      ...this.opts.repo.list().map((s) => ({
        name: s.name,
        displayName: s.displayName || s.name,
        manager: s.manager,
        unit: s.unit,
        scope: (s.scope === "system" ? "system" : "user") as ServiceScope,
        builtIn: false,
      })),
    ];
  }

  private find(name: string): TrackedService {
    const resolved = resolveServiceName(name);
    const service = this.tracked().find((s) => s.name === resolved);
    if (!service) throw new DomainError(OpsErrorCode.ServiceNotFound, OpsMessages.serviceNotFound);
    return service;
  }

  async list(): Promise<ServiceStatus[]> {
    this.assertAvailable();
    return this.units.statuses(this.tracked());
  }

  /** For the overview and the health checker: undefined where no service manager runs. */
  async listIfAvailable(): Promise<ServiceStatus[] | undefined> {
    return this.available ? this.list() : undefined;
  }

  async register(body: {
    name?: string;
    displayName?: string;
    manager?: string;
    unit?: string;
    scope?: string;
  }): Promise<{ services: ServiceStatus[]; globalRev: number }> {
    this.assertAvailable();
    const name = (body.name ?? "").trim();
    if (!name) throw invalidRequest(OpsMessages.nameRequired);
    const unit = validateUnit(body.unit);
    if (!SERVICE_NAME.test(name)) throw invalidRequest("name must match ^[A-Za-z0-9._@:-]{1,64}$");
    if (
      resolveServiceName(name) !== name ||
      name === "unit" ||
      name === "sentinel" ||
      name === "sentinel-updater"
    ) {
      throw invalidRequest(`name "${name}" is reserved (a built-in service or route)`);
    }
    const manager = parseManager(body.manager);
    const scope = parseScope(body.scope, "user");
    const displayName = (body.displayName ?? "").trim() || name;
    try {
      this.opts.repo.insert({ name, displayName, manager, unit, scope }, rfc3339Seconds());
    } catch (error) {
      if (error instanceof DuplicateServiceError) {
        throw new DomainError(OpsErrorCode.ServiceExists, OpsMessages.serviceExists);
      }
      throw error;
    }
    this.opts.timeline.record({
      source: "service",
      eventType: "service.registered",
      resource: name,
      message: `Service registered: ${displayName}`,
      details: `unit=${unit} manager=${manager} scope=${scope}`,
      metadata: { service: name, unit, manager, scope },
    });
    const globalRev = opsGlobalRev();
    this.publishServices({ globalRev, action: "registered", service: name });
    const services = await this.list();
    await this.publishOverview(globalRev);
    return { services, globalRev };
  }

  async unregister(name: string): Promise<{ removed: string; globalRev: number }> {
    this.assertAvailable();
    if (!this.opts.repo.remove(name)) {
      throw new DomainError(OpsErrorCode.ServiceNotFound, OpsMessages.customServiceNotFound);
    }
    this.opts.timeline.record({
      source: "service",
      eventType: "service.unregistered",
      resource: name,
      message: `Service unregistered: ${name}`,
      metadata: { service: name },
    });
    const globalRev = opsGlobalRev();
    this.publishServices({ globalRev, action: "unregistered", service: name });
    await this.publishOverview(globalRev);
    return { removed: name, globalRev };
  }

  async browse(): Promise<BrowsedService[]> {
    const discovered = await this.units.listUnits();
    const tracked = this.tracked();
    const key = (unit: string, scope: string) => `${unit.toLowerCase()}\u0000${scope}`;
    const byKey = new Map(tracked.map((t) => [key(t.unit, t.scope), t]));
    // systemctl lists `foo.service` where a service may be tracked as `foo`.
    const trackedFor = (unit: string, scope: string) =>
      byKey.get(key(unit, scope)) ?? byKey.get(key(unit.replace(/\.service$/, ""), scope));
    const matched = new Set<TrackedService>();
    const rows: BrowsedService[] = discovered.map((d) => {
      const t = trackedFor(d.unit, d.scope);
      if (t) matched.add(t);
      const row: BrowsedService = { ...d, enabledState: "", tracked: !!t };
      if (t) row.trackedName = t.name;
      return row;
    });
    const missing = tracked.filter((t) => !matched.has(t));
    const states = await this.units.statuses(missing);
    missing.forEach((t, n) => {
      rows.push({
        unit: t.unit,
        description: t.displayName,
        activeState: states[n]!.activeState,
        enabledState: states[n]!.enabledState,
        manager: t.manager,
        scope: t.scope,
        tracked: true,
        trackedName: t.name,
      });
    });
    return rows;
  }

  async discover(): Promise<DiscoveredService[]> {
    const tracked = new Set(this.tracked().map((t) => `${t.unit.toLowerCase()}\u0000${t.scope}`));
    try {
      return (await this.units.listUnits()).filter(
        (d) =>
          !tracked.has(`${d.unit.toLowerCase()}\u0000${d.scope}`) &&
          !tracked.has(`${d.unit.replace(/\.service$/, "").toLowerCase()}\u0000${d.scope}`),
      );
    } catch (error) {
      if (error instanceof DomainError && error.code === OpsErrorCode.BrowseFailed) {
        throw new DomainError(OpsErrorCode.DiscoverFailed, error.message);
      }
      throw error;
    }
  }

  /** §1.6 `POST /api/ops/services/{service}/action`. */
  async action(name: string, rawAction: string | undefined) {
    this.assertAvailable();
    const action = parseAction(rawAction);
    const service = this.find(name);
    await this.units.runAction(service, action);
    const services = await this.list();
    const status = services.find((s) => s.name === service.name) ?? (await this.units.status(service));
    const overview = await this.opts.overview();
    const state = status.activeState;
    const timelineEvent = this.opts.timeline.record({
      source: "service",
      eventType: "service.action",
      severity: state === "failed" ? "error" : action === "stop" ? "warn" : "info",
      resource: service.name,
      message: `${service.displayName} ${action}`,
      details: `unit=${service.unit} manager=${service.manager} scope=${service.scope} state=${state}`,
      metadata: { action, service: service.name, manager: service.manager, scope: service.scope, state },
    });
    const alerts = [];
    const globalRev = opsGlobalRev();
    if (state === "failed") {
      const alert = this.opts.alerts.raise(
        {
          dedupeKey: `service:${service.name}:failed`,
          source: "service",
          resource: service.name,
          title: `${service.displayName} entered failed state`,
          message: `${service.displayName} is in failed state after ${action} (unit=${service.unit})`,
          severity: "error",
          metadata: { state, action, unit: service.unit },
        },
        { publish: false },
      );
      alerts.push(alert);
    }
    this.publishServices({ globalRev, service: service.name, action, services });
    this.opts.events.publish(OpsEventType.OverviewUpdated, { globalRev, overview });
    if (alerts.length) this.opts.alerts.publish({ globalRev, alerts });
    return { service: status, services, overview, alerts, globalRev, timelineEvent };
  }

  /** §1.6 `POST /api/ops/services/unit/action`: any unit, not tracked. */
  async unitAction(body: { unit?: string; scope?: string; manager?: string; action?: string }) {
    this.assertAvailable();
    const target = parseUnitTarget(body);
    const action = parseAction(body.action);
    await this.units.runAction(target, action);
    const overview = await this.opts.overview();
    const timelineEvent = this.opts.timeline.record({
      source: "service",
      eventType: "service.action",
      severity: action === "stop" ? "warn" : "info",
      resource: target.unit,
      message: `${target.unit} ${action}`,
      details: `unit=${target.unit} manager=${target.manager} scope=${target.scope} state=`,
      metadata: { action, service: target.unit, manager: target.manager, scope: target.scope, state: "" },
    });
    const globalRev = opsGlobalRev();
    this.publishServices({ globalRev, service: target.unit, action });
    this.opts.events.publish(OpsEventType.OverviewUpdated, { globalRev, overview });
    return { overview, alerts: [], globalRev, timelineEvent };
  }

  async inspect(name: string): Promise<ServiceInspect> {
    this.assertAvailable();
    const service = this.find(name);
    return this.units.inspect(service, await this.units.status(service));
  }

  async unitInspect(query: { unit?: string; scope?: string; manager?: string }): Promise<ServiceInspect> {
    this.assertAvailable();
    const target = parseUnitTarget(query);
    const status = await this.units.status({
      name: target.unit,
      displayName: target.unit,
      builtIn: false,
      ...target,
    });
    const inspect = await this.units.inspect(target, status);
    if (!inspect.properties) inspect.summary = `unit=${target.unit} scope=${target.scope}`;
    return inspect;
  }

  async logs(name: string, lines: number): Promise<{ service: string; lines: number; output: string }> {
    this.assertAvailable();
    const service = this.find(name);
    return { service: service.name, lines, output: await this.units.logs(service, lines) };
  }

  async unitLogs(query: { unit?: string; scope?: string; manager?: string }, lines: number) {
    this.assertAvailable();
    const target = parseUnitTarget(query);
    return { unit: target.unit, lines, output: await this.units.logs(target, lines) };
  }

  /**
   * What `/ws/logs` runs: journalctl and its arguments with `--follow` (§2.5). Throws the DomainError the socket
   * turns into an error message (unavailable, not found, not systemd).
   */
  followCommand(query: { service?: string; unit?: string; scope?: string; manager?: string }): {
    file: string;
    args: string[];
  } {
    this.assertAvailable();
    const target: UnitTarget = query.service ? this.find(query.service) : parseUnitTarget(query);
    return this.units.followCommand(target);
  }

  /** The counts changed: `ops.overview.updated` (this port also sends it on register and unregister). */
  private async publishOverview(globalRev: number): Promise<void> {
    try {
      const overview = await this.opts.overview();
      this.opts.events.publish(OpsEventType.OverviewUpdated, { globalRev, overview });
    } catch {
      // The overview is a courtesy here; the registration itself succeeded.
    }
  }

  private publishServices(payload: OpsServicesUpdatedPayload): void {
    this.opts.events.publish(OpsEventType.ServicesUpdated, payload);
  }
}
