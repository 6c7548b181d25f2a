// What a service request names, checked with the spec's messages (§1.6): scope, manager, action, `?lines=`, a
// unit, a tracked service's name and its aliases. Every failure is INVALID_REQUEST.
import { OpsMessages, type ServiceAction, type ServiceScope } from "../../../protocol/ops.js";
import { invalidRequest } from "../../errors.js";
import { isUnitName } from "./systemd.js";

export const LOG_LINES_DEFAULT = 100;
export const LOG_LINES_MAX = 1000;

/** A unit addressed directly (the `/unit/*` routes), validated. */
export interface UnitTarget {
  unit: string;
  scope: ServiceScope;
  manager: string;
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

export function parseUnitTarget(q: { unit?: string; scope?: string; manager?: string }): UnitTarget {
  return { unit: validateUnit(q.unit), scope: parseScope(q.scope, "user"), manager: parseManager(q.manager) };
}
