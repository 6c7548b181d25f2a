// Tracked services (spec §1.6, §8): the two built-ins and the user's custom services, their states from
// systemctl, start/stop/restart, browse/discover, inspect and logs. Where no service manager runs every method
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
  type ServiceAction,
  type ServiceInspect,
  type ServiceManagerUnavailableDetails,
  type ServiceScope,
  type ServiceStatus,
} from "../../../protocol/ops.js";
import { DomainError, invalidRequest } from "../../errors.js";
import type { EventHub } from "../../events/hub.js";
import { DuplicateServiceError, type OpsServicesRepo } from "../../store/opsServicesRepo.js";
import type { OpsAlerts } from "../alerts.js";
import { type OpsTimeline, opsGlobalRev } from "../timeline.js";
import type { ServiceManagerAvailability } from "./detect.js";
import type { CommandResult, CommandRunner } from "./runner.js";
import {
  actionArgs,
  INSPECT_PROPERTIES,
  inspectSummary,
  isUnitName,
  journalArgs,
  listUnitsArgs,
  normalizeState,
  parseListUnits,
  parseShow,
  parseShowBlocks,
  STATE_PROPERTIES,
  showArgs,
} from "./systemd.js";

/** A service as tracked: what to ask systemctl about. */
export interface TrackedService {
  name: string;
  displayName: string;
  manager: string;
  unit: string;
  scope: ServiceScope;
  builtIn: boolean;
}

/** A unit addressed directly (the `/unit/*` routes), validated. */
export interface UnitTarget {
  unit: string;
  scope: ServiceScope;
  manager: string;
}

export const Timeouts = { list: 3000, browse: 8000, action: 8000, status: 5000, logs: 8000 } as const;
export const LOG_LINES_DEFAULT = 100;
export const LOG_LINES_MAX = 1000;

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

const lower = (s: string | undefined) => (s ?? "").trim().toLowerCase();

export function parseScope(value: string | undefined, fallback: ServiceScope): ServiceScope {
  const v = lower(value);
  if (!v) return fallback;
  if (v === "user" || v === "system") return v;
  throw invalidRequest(OpsMessages.invalidScope);
}

export function parseManager(value: string | undefined): string {
  const v = lower(value);
  if (!v) return "systemd";
  if (v === "systemd" || v === "launchd") return v;
  throw invalidRequest(OpsMessages.invalidManager);
}

export function parseAction(value: string | undefined): ServiceAction {
  const v = lower(value);
  if (v === "start" || v === "stop" || v === "restart") return v;
  throw invalidRequest(OpsMessages.invalidAction);
}

/** `?lines=`: default 100; invalid or ≤0 is the default (§1.6); the command is clamped to 1000. */
export function parseLines(raw: unknown): number {
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (typeof value !== "string" || !/^\d+$/.test(value.trim())) return LOG_LINES_DEFAULT;
  const n = Number(value.trim());
  return Number.isSafeInteger(n) && n > 0 ? n : LOG_LINES_DEFAULT;
}

/** `sentinel`/`sentinel.service` → `sentinel`; the updater's aliases → `sentinel-updater` (§1.6 step 1). */
export function resolveServiceName(name: string): string {
  const n = name.trim();
  if (n === "sentinel" || n === "sentinel.service") return "sentinel";
  if (["sentinel-updater", "sentinel-updater.service", "sentinel-updater.timer", "updater"].includes(n)) {
    return "sentinel-updater";
  }
  return n;
}

export function validateUnit(unit: string | undefined): string {
  const u = (unit ?? "").trim();
  if (!u) throw invalidRequest(OpsMessages.unitRequired);
  if (!isUnitName(u))
    throw invalidRequest("unit must be a systemd unit name (letters, digits, :-_.@\\; not starting with -)");
  return u;
}

const SERVICE_NAME = /^[A-Za-z0-9._@:-]{1,64}$/;

export class OpsServices {
  private readonly opts: OpsServicesOptions;

  constructor(options: OpsServicesOptions) {
    this.opts = options;
  }

  get available(): boolean {
    return this.opts.availability.available;
  }

  /** "" when available. */
  get reason(): string {
    const a = this.opts.availability;
    return a.available ? "" : a.reason;
  }

  /** Throws the 503 every service route answers where no service manager runs. */
  assertAvailable(): void {
    const a = this.opts.availability;
    if (a.available) return;
    const details: ServiceManagerUnavailableDetails = { serviceManager: "none", reason: a.reason };
    throw new DomainError(
      OpsErrorCode.Unavailable,
      `${OpsMessages.serviceManagerUnavailable}: ${a.reason}`,
      details,
    );
  }

  /** The spec's per-call limit, or `ops_command_timeout` when set (slow hosts, tests). */
  private timeout(kind: keyof typeof Timeouts): number {
    return this.opts.commandTimeoutMs || Timeouts[kind];
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

  private systemctl(args: string[], timeoutMs: number): Promise<CommandResult> {
    const a = this.opts.availability;
    if (!a.available) this.assertAvailable();
    return this.opts.runner((a as { systemctl: string }).systemctl, args, timeoutMs);
  }

  private journalctl(args: string[], timeoutMs: number): Promise<CommandResult> {
    const a = this.opts.availability;
    if (!a.available) this.assertAvailable();
    return this.opts.runner((a as { journalctl: string }).journalctl, args, timeoutMs);
  }

  /** States from `systemctl show` (§1.6 step 3); on error `exists=false`, states `unknown`. */
  async status(service: TrackedService): Promise<ServiceStatus> {
    return (await this.statuses([service]))[0]!;
  }

  /**
   * States from `systemctl show` (§1.6 step 3), one call per scope for all its units (systemctl prints one
   * block per unit, in order); on error `exists=false`, states `unknown`.
   */
  async statuses(services: TrackedService[]): Promise<ServiceStatus[]> {
    const updatedAt = rfc3339Seconds();
    const unknown = (service: TrackedService): ServiceStatus => ({
      name: service.name,
      displayName: service.displayName,
      manager: service.manager,
      scope: service.scope,
      unit: service.unit,
      updatedAt,
      exists: false,
      enabledState: "unknown",
      activeState: "unknown",
    });
    const result = services.map(unknown);
    for (const scope of ["user", "system"] as const) {
      const indexes = services
        .map((s, i) => (s.manager === "systemd" && s.scope === scope ? i : -1))
        .filter((i) => i >= 0);
      if (!indexes.length) continue;
      const units = indexes.map((i) => services[i]!.unit);
      const run = await this.systemctl(showArgs(scope, units, STATE_PROPERTIES), this.timeout("list"));
      if (run.code !== 0) continue;
      const blocks = parseShowBlocks(run.stdout);
      if (blocks.length !== units.length) continue;
      indexes.forEach((serviceIndex, n) => {
        const props = blocks[n]!;
        Object.assign(result[serviceIndex]!, {
          exists: props.LoadState !== "not-found" && props.LoadState !== undefined,
          enabledState: normalizeState(props.UnitFileState),
          activeState: normalizeState(props.ActiveState),
        });
      });
    }
    return result;
  }

  async list(): Promise<ServiceStatus[]> {
    this.assertAvailable();
    return this.statuses(this.tracked());
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

  /** Every service and timer unit of the user, then the system manager, de-duplicated by (unit, scope). */
  async discoverAll(): Promise<DiscoveredService[]> {
    this.assertAvailable();
    const rows: DiscoveredService[] = [];
    const failures: string[] = [];
    for (const scope of ["user", "system"] as const) {
      const result = await this.systemctl(listUnitsArgs(scope), this.timeout("browse"));
      if (result.code !== 0) {
        failures.push(`${scope}: ${firstLine(result.stderr) || `exit ${result.code}`}`);
        continue;
      }
      rows.push(...parseListUnits(result.stdout, scope));
    }
    if (failures.length === 2) {
      throw new DomainError(
        OpsErrorCode.BrowseFailed,
        `systemctl list-units failed (${failures.join("; ")})`,
      );
    }
    const seen = new Set<string>();
    return rows.filter((r) => {
      const key = `${r.unit.toLowerCase()}\u0000${r.scope}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }

  async browse(): Promise<BrowsedService[]> {
    const discovered = await this.discoverAll();
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
    const states = await this.statuses(missing);
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
      return (await this.discoverAll()).filter(
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

  private async runAction(target: UnitTarget, action: ServiceAction): Promise<void> {
    if (target.manager !== "systemd") {
      throw new DomainError(OpsErrorCode.ActionFailed, `unsupported service manager "${target.manager}"`);
    }
    const result = await this.systemctl(
      actionArgs(target.scope, action, target.unit),
      this.timeout("action"),
    );
    if (result.code !== 0) {
      const why = result.timedOut ? "timed out" : firstLine(result.stderr) || `exit status ${result.code}`;
      throw new DomainError(OpsErrorCode.ActionFailed, `systemctl ${action} ${target.unit} failed: ${why}`);
    }
  }

  /** §1.6 `POST /api/ops/services/{service}/action`. */
  async action(name: string, rawAction: string | undefined) {
    this.assertAvailable();
    const action = parseAction(rawAction);
    const service = this.find(name);
    await this.runAction(service, action);
    const services = await this.list();
    const status = services.find((s) => s.name === service.name) ?? (await this.status(service));
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
    await this.runAction(target, action);
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

  private async inspectTarget(target: UnitTarget, status: ServiceStatus): Promise<ServiceInspect> {
    if (target.manager !== "systemd") {
      throw new DomainError(OpsErrorCode.ActionFailed, `unsupported service manager "${target.manager}"`);
    }
    const result = await this.systemctl(
      showArgs(target.scope, [target.unit], INSPECT_PROPERTIES),
      this.timeout("status"),
    );
    if (result.code !== 0) {
      const why = result.timedOut ? "timed out" : firstLine(result.stderr) || `exit status ${result.code}`;
      throw new DomainError(OpsErrorCode.ActionFailed, `systemctl show ${target.unit} failed: ${why}`);
    }
    const properties = parseShow(result.stdout);
    const inspect: ServiceInspect = {
      service: status,
      summary: inspectSummary(properties, status.enabledState, status.activeState),
      checkedAt: rfc3339Seconds(),
    };
    if (Object.keys(properties).length) inspect.properties = properties;
    if (result.stdout) inspect.output = result.stdout;
    return inspect;
  }

  async inspect(name: string): Promise<ServiceInspect> {
    this.assertAvailable();
    const service = this.find(name);
    return this.inspectTarget(service, await this.status(service));
  }

  async unitInspect(query: { unit?: string; scope?: string; manager?: string }): Promise<ServiceInspect> {
    this.assertAvailable();
    const target = parseUnitTarget(query);
    const status = await this.status({
      name: target.unit,
      displayName: target.unit,
      builtIn: false,
      ...target,
    });
    const inspect = await this.inspectTarget(target, status);
    if (!inspect.properties) inspect.summary = `unit=${target.unit} scope=${target.scope}`;
    return inspect;
  }

  private async logsOf(target: UnitTarget, lines: number): Promise<string> {
    if (target.manager !== "systemd") {
      throw new DomainError(OpsErrorCode.LogsFailed, `unsupported service manager "${target.manager}"`);
    }
    const n = Math.min(lines, LOG_LINES_MAX);
    const result = await this.journalctl(journalArgs(target.scope, target.unit, n), this.timeout("logs"));
    if (result.code !== 0) {
      const why = result.timedOut ? "timed out" : firstLine(result.stderr) || `exit status ${result.code}`;
      throw new DomainError(OpsErrorCode.LogsFailed, `journalctl -u ${target.unit} failed: ${why}`);
    }
    return result.stdout;
  }

  async logs(name: string, lines: number): Promise<{ service: string; lines: number; output: string }> {
    this.assertAvailable();
    const service = this.find(name);
    return { service: service.name, lines, output: await this.logsOf(service, lines) };
  }

  async unitLogs(query: { unit?: string; scope?: string; manager?: string }, lines: number) {
    this.assertAvailable();
    const target = parseUnitTarget(query);
    return { unit: target.unit, lines, output: await this.logsOf(target, lines) };
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
    if (target.manager !== "systemd") {
      throw new DomainError(
        OpsErrorCode.LogsFailed,
        "log streaming is not supported for this service manager",
      );
    }
    const a = this.opts.availability as { journalctl: string };
    return { file: a.journalctl, args: journalArgs(target.scope, target.unit, 50, true) };
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

export function parseUnitTarget(q: { unit?: string; scope?: string; manager?: string }): UnitTarget {
  return { unit: validateUnit(q.unit), scope: parseScope(q.scope, "user"), manager: parseManager(q.manager) };
}

function firstLine(text: string): string {
  return text.trim().split("\n")[0]?.trim() ?? "";
}
