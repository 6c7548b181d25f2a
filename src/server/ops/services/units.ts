// What systemctl and journalctl do to units (spec §1.6): their states (one `systemctl show` per scope), every
// service and timer unit, start/stop/restart, inspect, logs and the `/ws/logs` follow command, each within the
// spec's time limit. Where no service manager runs every call throws the 503 OPS_UNAVAILABLE "service manager
// unavailable: <reason>". Knows units only: which services are tracked is ./catalog.ts.
import { rfc3339Seconds } from "../../../protocol/events.js";
import {
  type DiscoveredService,
  OpsErrorCode,
  OpsMessages,
  type ServiceAction,
  type ServiceInspect,
  type ServiceManagerUnavailableDetails,
  type ServiceScope,
  type ServiceStatus,
} from "../../../protocol/ops.js";
import { DomainError } from "../../errors.js";
import type { ServiceManagerAvailability } from "./detect.js";
import { LOG_LINES_MAX, type UnitTarget } from "./input.js";
import type { CommandResult, CommandRunner } from "./runner.js";
import {
  actionArgs,
  INSPECT_PROPERTIES,
  inspectSummary,
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

export const Timeouts = { list: 3000, browse: 8000, action: 8000, status: 5000, logs: 8000 } as const;

export class UnitCommands {
  constructor(
    private readonly availability: ServiceManagerAvailability,
    private readonly runner: CommandRunner,
    /** Overrides every systemctl/journalctl time limit (0: the spec's 3–8 s). */
    private readonly commandTimeoutMs = 0,
  ) {}

  get available(): boolean {
    return this.availability.available;
  }

  /** "" when available. */
  get reason(): string {
    const a = this.availability;
    return a.available ? "" : a.reason;
  }

  /** Throws the 503 every service route answers where no service manager runs. */
  assertAvailable(): void {
    const a = this.availability;
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
    return this.commandTimeoutMs || Timeouts[kind];
  }

  private systemctl(args: string[], timeoutMs: number): Promise<CommandResult> {
    const a = this.availability;
    if (!a.available) this.assertAvailable();
    return this.runner((a as { systemctl: string }).systemctl, args, timeoutMs);
  }

  private journalctl(args: string[], timeoutMs: number): Promise<CommandResult> {
    const a = this.availability;
    if (!a.available) this.assertAvailable();
    return this.runner((a as { journalctl: string }).journalctl, args, timeoutMs);
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

  /** Every service and timer unit of the user, then the system manager, de-duplicated by (unit, scope). */
  async listUnits(): Promise<DiscoveredService[]> {
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

  async runAction(target: UnitTarget, action: ServiceAction): Promise<void> {
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

  async inspect(target: UnitTarget, status: ServiceStatus): Promise<ServiceInspect> {
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

  async logs(target: UnitTarget, lines: number): Promise<string> {
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

  /** journalctl and its arguments with `--follow` (§2.5) for `/ws/logs`; only systemd units stream. */
  followCommand(target: UnitTarget): { file: string; args: string[] } {
    if (target.manager !== "systemd") {
      throw new DomainError(
        OpsErrorCode.LogsFailed,
        "log streaming is not supported for this service manager",
      );
    }
    const a = this.availability as { journalctl: string };
    return { file: a.journalctl, args: journalArgs(target.scope, target.unit, 50, true) };
  }
}

function firstLine(text: string): string {
  return text.trim().split("\n")[0]?.trim() ?? "";
}
