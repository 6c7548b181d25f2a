// Guardrails on the wire (spec §1.10, §6): rules, decisions, audit rows, the request bodies of the
// `/api/ops/guardrails/*` routes, the confirmation header, and the `tmux.guardrail.blocked` event payload.

export type GuardrailScope = "action" | "command";
export type GuardrailMode = "allow" | "warn" | "confirm" | "block";
export type GuardrailSeverity = "info" | "warn" | "error";

export const GUARDRAIL_SCOPES: readonly GuardrailScope[] = ["action", "command"];
export const GUARDRAIL_MODES: readonly GuardrailMode[] = ["allow", "warn", "confirm", "block"];
export const GUARDRAIL_SEVERITIES: readonly GuardrailSeverity[] = ["info", "warn", "error"];

/** A rule (§6.1). `pattern` is Go RE2 syntax; a leading `(?i)` and friends are translated for JS. */
export interface GuardrailRule {
  id: string;
  name: string;
  scope: GuardrailScope;
  pattern: string;
  mode: GuardrailMode;
  severity: GuardrailSeverity;
  message: string;
  enabled: boolean;
  priority: number;
  /** RFC 3339, seconds, UTC. */
  createdAt: string;
  updatedAt: string;
}

/** What is evaluated (§6.2). Only `action` and `command` take part in matching. */
export interface GuardrailInput {
  action: string;
  command: string;
  sessionName: string;
  /** -1 when the operation is not about one window. */
  windowIndex: number;
  paneId: string;
}

/** The outcome of an evaluation (§6.2); carried in `details.decision` of 409/428 responses. */
export interface GuardrailDecision {
  mode: GuardrailMode;
  /** `mode != block`. */
  allowed: boolean;
  /** `mode == confirm`. */
  requireConfirm: boolean;
  message: string;
  /** "" when no rule matched. */
  matchedRuleId: string;
  /** Every enabled rule that matched, in priority order. */
  matchedRules: GuardrailRule[];
}

/** A row of the audit log (§6.5). `metadata` is a JSON string, e.g. `{"matchedRules":1,"mode":"confirm"}`. */
export interface GuardrailAuditEntry {
  id: number;
  ruleId: string;
  decision: GuardrailMode;
  action: string;
  command: string;
  sessionName: string;
  windowIndex: number;
  paneId: string;
  override: boolean;
  reason: string;
  metadata: string;
  createdAt: string;
}

/** Audit reasons written by the server (§6.4, §1.10). */
export const AuditReason = {
  Blocked: "blocked",
  ConfirmRequired: "confirm-required",
  Confirmed: "confirmed",
  Warn: "warn",
  Allow: "",
  ManualEvaluate: "manual evaluate",
} as const;

/** The action strings of the guarded HTTP mutations (§6.3). */
export const GuardrailAction = {
  SessionCreate: "session.create",
  SessionKill: "session.kill",
  WindowCreate: "window.create",
  WindowKill: "window.kill",
  PaneKill: "pane.kill",
  PaneSplit: "pane.split",
} as const;

/** Confirmation of a `confirm` decision: this header, or the query parameter `confirm` (§6.4). */
export const GUARDRAIL_CONFIRM_HEADER = "X-Sentinel-Guardrail-Confirm";
export const GUARDRAIL_CONFIRM_QUERY = "confirm";
/** Accepted values, compared trimmed and case-insensitively. */
export const GUARDRAIL_CONFIRM_VALUES: readonly string[] = ["1", "true", "yes", "confirm", "confirmed"];

export function isConfirmValue(value: string | undefined): boolean {
  return value !== undefined && GUARDRAIL_CONFIRM_VALUES.includes(value.trim().toLowerCase());
}

/** `details` of the 409 GUARDRAIL_BLOCKED and 428 GUARDRAIL_CONFIRM_REQUIRED errors. */
export interface GuardrailErrorDetails {
  decision: GuardrailDecision;
}

/** Payload of `tmux.guardrail.blocked`, published on a block and on a confirm-required (§3.3, §6.4). */
export interface GuardrailBlockedPayload {
  action: string;
  session: string;
  paneId: string;
  decision: GuardrailDecision;
}

export const GUARDRAIL_BLOCKED_EVENT = "tmux.guardrail.blocked";

/** 409 and 428 (§0.7); the rule-not-found code is this port's, for `DELETE …/rules/{rule}`. */
export const GuardrailErrorCode = {
  Blocked: "GUARDRAIL_BLOCKED",
  ConfirmRequired: "GUARDRAIL_CONFIRM_REQUIRED",
  RuleNotFound: "GUARDRAIL_RULE_NOT_FOUND",
} as const;

/** Rule ids: what the seeded ids use, and nothing a URL or a log line would mangle. */
export const GUARDRAIL_RULE_ID_PATTERN = "^[A-Za-z0-9._:-]{1,64}$";
const ruleId = new RegExp(GUARDRAIL_RULE_ID_PATTERN);
export const isGuardrailRuleId = (value: string) => ruleId.test(value);

export interface GuardrailRulesResponse {
  rules: GuardrailRule[];
}
export interface GuardrailAuditResponse {
  audit: GuardrailAuditEntry[];
}
export interface GuardrailEvaluateResponse {
  decision: GuardrailDecision;
}

export const AUDIT_LIMIT_DEFAULT = 100;
export const AUDIT_LIMIT_MAX = 500;

export const GuardrailMessages = {
  patternRequired: "pattern is required",
  enabledRequired: "enabled is required",
  invalidRuleId: `rule id must match ${GUARDRAIL_RULE_ID_PATTERN}`,
  invalidLimit: "limit must be a positive integer",
  ruleNotFound: "guardrail rule not found",
  /** Followed by ": <reason>". */
  invalidPattern: "invalid pattern",
} as const;

/** Fallback decision messages when the winning rule has none (§6.2). */
export const DEFAULT_DECISION_MESSAGES: Record<GuardrailMode, string> = {
  block: "operation blocked by guardrail policy",
  confirm: "operation requires explicit confirmation",
  warn: "operation matched warning policy",
  allow: "",
};
