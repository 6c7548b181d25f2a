// The rule model (spec §6.1): normalisation on save, the two seeded rules, and priority order.
import {
  GUARDRAIL_MODES,
  GUARDRAIL_SEVERITIES,
  type GuardrailMode,
  type GuardrailRule,
  type GuardrailScope,
  type GuardrailSeverity,
} from "../../protocol/guardrails.js";

export const DEFAULT_PRIORITY = 100;

/** Anything but `action` is `command`. */
export function normaliseScope(value: string | undefined): GuardrailScope {
  return (value ?? "").trim().toLowerCase() === "action" ? "action" : "command";
}

/** Unknown modes are `allow`. */
export function normaliseMode(value: string | undefined): GuardrailMode {
  const v = (value ?? "").trim().toLowerCase();
  return (GUARDRAIL_MODES as readonly string[]).includes(v) ? (v as GuardrailMode) : "allow";
}

/** Unknown severities are `warn`. */
export function normaliseSeverity(value: string | undefined): GuardrailSeverity {
  const v = (value ?? "").trim().toLowerCase();
  return (GUARDRAIL_SEVERITIES as readonly string[]).includes(v) ? (v as GuardrailSeverity) : "warn";
}

export type SeededRule = Omit<GuardrailRule, "createdAt" | "updatedAt">;

/** Inserted with INSERT OR IGNORE at every start: a deleted seed comes back, an edited one keeps its edits. */
export const SEEDED_RULES: readonly SeededRule[] = [
  {
    id: "action.session.kill.confirm",
    name: "Confirm session kill",
    scope: "action",
    pattern: "^session\\.kill$",
    mode: "confirm",
    severity: "warn",
    message: "Session termination requires explicit confirmation.",
    enabled: true,
    priority: 10,
  },
  {
    id: "command.rm.root.block",
    name: "Block rm -rf /",
    scope: "command",
    pattern: "(?i)(^|\\s)rm\\s+-rf\\s+/($|\\s)",
    mode: "block",
    severity: "error",
    message: "Blocked dangerous command pattern: rm -rf /",
    enabled: true,
    priority: 5,
  },
];

/** `priority ASC, id ASC`, as the store lists them (ids compared by code unit, like SQLite's BINARY). */
export function byPriority(a: GuardrailRule, b: GuardrailRule): number {
  return a.priority - b.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
