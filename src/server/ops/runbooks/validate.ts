// Request bodies of the runbook and schedule routes: decoded with Go's rules (keys matched exactly, else
// case-insensitively, so `runbookID` is `runbookId`; unknown keys and wrong JSON types are `invalid json body`;
// missing values are zero values) and then checked with the spec's messages, in the spec's order (§0.3, §1.8).
// Pure: no store, no clock except the `now` passed in.
import {
  OpsRunbookMessages as M,
  MAX_RUNBOOK_STEPS,
  MAX_TIMEOUT_SECONDS,
  RUNBOOK_ID_PATTERN,
  RUNBOOK_STEP_TYPES,
  type RunbookStep,
  type RunbookStepType,
} from "../../../protocol/opsRunbooks.js";
import { invalidRequest } from "../../errors.js";
import type { RunbookRecord } from "../../store/opsRunbookRepo.js";
import type { ScheduleRecord } from "../../store/opsScheduleRepo.js";
import { nextFire, parseCron, parseRfc3339, resolveTimezone, rfc3339 } from "./cron.js";

type Kind = "string" | "bool" | "number" | "steps";

function decode<F extends Record<string, Kind>>(value: unknown, fields: F): Record<keyof F, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw invalidRequest(M.invalidJson);
  const names = Object.keys(fields);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const name = names.includes(key) ? key : names.find((n) => n.toLowerCase() === key.toLowerCase());
    if (name === undefined) throw invalidRequest(M.invalidJson);
    if (v === null) continue;
    const kind = fields[name]!;
    const ok =
      (kind === "string" && typeof v === "string") ||
      (kind === "bool" && typeof v === "boolean") ||
      (kind === "number" && typeof v === "number" && Number.isFinite(v)) ||
      (kind === "steps" && Array.isArray(v));
    if (!ok) throw invalidRequest(M.invalidJson);
    out[name] = v;
  }
  return out as Record<keyof F, unknown>;
}

const RUNBOOK_FIELDS = {
  id: "string",
  name: "string",
  description: "string",
  enabled: "bool",
  steps: "steps",
  timeoutSeconds: "number",
} as const;

const STEP_FIELDS = {
  type: "string",
  title: "string",
  command: "string",
  check: "string",
  description: "string",
  timeoutSeconds: "number",
} as const;

/** A runbook as a request gives it; `id` is "" when absent (a new runbook then gets a UUID). */
export type RunbookFields = RunbookRecord;

function timeoutValue(value: unknown, what: string): number {
  if (value === undefined) return 0;
  const n = value as number;
  if (!Number.isInteger(n) || n < 0 || n > MAX_TIMEOUT_SECONDS) {
    throw invalidRequest(`${what} must be a whole number of seconds from 0 to ${MAX_TIMEOUT_SECONDS}`);
  }
  return n;
}

/**
 * A runbook body (POST and PUT). The seed checked only the name; this port also refuses what could never run:
 * no steps, an unknown step type, a command or check step without its text.
 */
export function runbookFromBody(body: unknown): RunbookFields {
  const b = decode(body, RUNBOOK_FIELDS);
  const id = ((b.id as string | undefined) ?? "").trim();
  if (id && !RUNBOOK_ID_PATTERN.test(id)) throw invalidRequest(M.invalidRunbookId);
  const name = ((b.name as string | undefined) ?? "").trim();
  if (!name) throw invalidRequest(M.runbookNameRequired);
  const rawSteps = (b.steps as unknown[] | undefined) ?? [];
  if (rawSteps.length === 0) throw invalidRequest(M.stepsRequired);
  if (rawSteps.length > MAX_RUNBOOK_STEPS) throw invalidRequest(M.tooManySteps);
  const steps = rawSteps.map((raw, index) => stepFromBody(raw, index));
  return {
    id,
    name,
    description: ((b.description as string | undefined) ?? "").trim(),
    enabled: (b.enabled as boolean | undefined) ?? false,
    steps,
    timeoutSeconds: timeoutValue(b.timeoutSeconds, "timeoutSeconds"),
  };
}

function stepFromBody(raw: unknown, index: number): RunbookStep {
  const s = decode(raw, STEP_FIELDS);
  const at = `step ${index + 1}`;
  const type = ((s.type as string | undefined) ?? "").trim().toLowerCase();
  if (!RUNBOOK_STEP_TYPES.includes(type as RunbookStepType)) {
    throw invalidRequest(`${at}: type must be command, check or manual`);
  }
  const command = (s.command as string | undefined) ?? "";
  const check = (s.check as string | undefined) ?? "";
  const description = ((s.description as string | undefined) ?? "").trim();
  if (type === "command" && !command.trim()) throw invalidRequest(`${at}: command is required`);
  if (type === "check" && !check.trim()) throw invalidRequest(`${at}: check is required`);
  const text = type === "command" ? command : type === "check" ? check : description;
  const title =
    ((s.title as string | undefined) ?? "").trim() ||
    text.trim().split("\n")[0]!.slice(0, 80) ||
    `Step ${index + 1}`;
  const step: RunbookStep = { type: type as RunbookStepType, title };
  if (command) step.command = command;
  if (check) step.check = check;
  if (description) step.description = description;
  const timeoutSeconds = timeoutValue(s.timeoutSeconds, `${at}: timeoutSeconds`);
  if (timeoutSeconds) step.timeoutSeconds = timeoutSeconds;
  return step;
}

const SCHEDULE_FIELDS = {
  runbookId: "string",
  name: "string",
  scheduleType: "string",
  cronExpr: "string",
  timezone: "string",
  runAt: "string",
  enabled: "bool",
} as const;

/** A schedule as a request gives it (`runAt`: RFC 3339 UTC for `once`, else ""); `nextRunAt` is computed at save
 * time: cron → the next fire after now; once → runAt. */
export type ScheduleFields = Omit<ScheduleRecord, "id">;

/**
 * A schedule body (POST and PUT), checked in the spec's order; `runbookExists` answers step 4. The next run is
 * computed here: cron → the first fire after `now` in the time zone, once → `runAt`.
 */
export function scheduleFromBody(
  body: unknown,
  runbookExists: (id: string) => boolean,
  now: Date,
): ScheduleFields {
  const b = decode(body, SCHEDULE_FIELDS);
  const runbookId = ((b.runbookId as string | undefined) ?? "").trim();
  if (!runbookId) throw invalidRequest(M.runbookIdRequired);
  const name = ((b.name as string | undefined) ?? "").trim();
  if (!name) throw invalidRequest(M.nameRequired);
  const scheduleType = ((b.scheduleType as string | undefined) ?? "").trim().toLowerCase();
  if (scheduleType !== "cron" && scheduleType !== "once") throw invalidRequest(M.scheduleType);
  if (!runbookExists(runbookId)) throw invalidRequest(M.runbookNotFound);
  const enabled = (b.enabled as boolean | undefined) ?? false;
  const timezone = ((b.timezone as string | undefined) ?? "").trim() || "UTC";
  if (scheduleType === "cron") {
    const cronExpr = ((b.cronExpr as string | undefined) ?? "").trim().replace(/\s+/g, " ");
    const spec = parseCron(cronExpr);
    if (!spec) throw invalidRequest(M.invalidCron);
    const zone = resolveTimezone(timezone);
    if (!zone) throw invalidRequest(M.invalidTimezone);
    const next = nextFire(spec, zone, now);
    return {
      runbookId,
      name,
      scheduleType,
      cronExpr,
      timezone,
      runAt: "",
      enabled,
      nextRunAt: next ? rfc3339(next) : "",
    };
  }
  const runAtText = ((b.runAt as string | undefined) ?? "").trim();
  const runAt = parseRfc3339(runAtText);
  if (!runAt) throw invalidRequest(M.runAtInvalid);
  if (runAt.getTime() <= now.getTime()) throw invalidRequest(M.runAtPast);
  if (!resolveTimezone(timezone)) throw invalidRequest(M.invalidTimezone);
  const at = rfc3339(runAt);
  return { runbookId, name, scheduleType, cronExpr: "", timezone, runAt: at, enabled, nextRunAt: at };
}
