// Guardrail routes (spec §1.10): rules (list, upsert, and this port's delete), the audit log, and a manual
// evaluation. Semantics are in src/server/guardrails.
import {
  AUDIT_LIMIT_DEFAULT,
  AUDIT_LIMIT_MAX,
  AuditReason,
  type GuardrailAuditResponse,
  GuardrailErrorCode,
  type GuardrailEvaluateResponse,
  type GuardrailInput,
  GuardrailMessages,
  type GuardrailRulesResponse,
  isGuardrailRuleId,
} from "../../protocol/guardrails.js";
import {
  EvaluateGuardrailBody,
  GuardrailRuleParams,
  UpsertGuardrailRuleBody,
} from "../../protocol/schemas/guardrails.js";
import { isPaneId, Messages } from "../../protocol/validate.js";
import type { AppContext } from "../context.js";
import { DomainError, invalidRequest } from "../errors.js";
import { PatternError } from "../guardrails/pattern.js";
import { type ApiInstance, data } from "./types.js";

const RULES = "/api/ops/guardrails/rules";

function ruleIdParam(value: string): string {
  if (!isGuardrailRuleId(value)) throw invalidRequest(GuardrailMessages.invalidRuleId);
  return value;
}

/** `?limit=`: absent or empty is the default; above the maximum is the maximum; ≤0 or not an integer is 400. */
export function auditLimit(raw: unknown): number {
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined || value === "") return AUDIT_LIMIT_DEFAULT;
  if (typeof value !== "string" || !/^[+-]?\d+$/.test(value))
    throw invalidRequest(GuardrailMessages.invalidLimit);
  const limit = Number(value);
  if (!Number.isSafeInteger(limit) || limit <= 0) throw invalidRequest(GuardrailMessages.invalidLimit);
  return Math.min(limit, AUDIT_LIMIT_MAX);
}

export function registerGuardrailRoutes(api: ApiInstance, ctx: AppContext): void {
  const { guardrails } = ctx;
  // The path parameter is checked before the body is read (spec §0.7 order).
  const checkRuleParam = async (request: { params: unknown }) => {
    ruleIdParam(String((request.params as { rule?: unknown }).rule ?? ""));
  };

  api.get(RULES, async () => {
    const body: GuardrailRulesResponse = { rules: guardrails.rules() };
    return data(body);
  });

  api.patch(
    `${RULES}/:rule`,
    { schema: { params: GuardrailRuleParams, body: UpsertGuardrailRuleBody }, preParsing: checkRuleParam },
    async (request) => {
      const id = ruleIdParam(request.params.rule);
      const { pattern, enabled } = request.body;
      if (pattern === undefined || !pattern.trim()) throw invalidRequest(GuardrailMessages.patternRequired);
      if (enabled === undefined) throw invalidRequest(GuardrailMessages.enabledRequired);
      if (request.body.priority !== undefined && !Number.isSafeInteger(request.body.priority)) {
        throw invalidRequest(Messages.invalidJson);
      }
      try {
        const rules = guardrails.upsertRule(id, { ...request.body, pattern, enabled });
        request.log.info({ rule: id }, "guardrail rule saved");
        const body: GuardrailRulesResponse = { rules };
        return data(body);
      } catch (error) {
        if (error instanceof PatternError) throw invalidRequest(error.message);
        throw error;
      }
    },
  );

  api.delete(`${RULES}/:rule`, { schema: { params: GuardrailRuleParams } }, async (request) => {
    const id = ruleIdParam(request.params.rule);
    if (!guardrails.deleteRule(id)) {
      throw new DomainError(GuardrailErrorCode.RuleNotFound, GuardrailMessages.ruleNotFound);
    }
    request.log.info({ rule: id }, "guardrail rule deleted");
    const body: GuardrailRulesResponse = { rules: guardrails.rules() };
    return data(body);
  });

  api.get("/api/ops/guardrails/audit", async (request) => {
    const limit = auditLimit((request.query as Record<string, unknown> | undefined)?.limit);
    const body: GuardrailAuditResponse = { audit: guardrails.listAudit(limit) };
    return data(body);
  });

  api.post("/api/ops/guardrails/evaluate", { schema: { body: EvaluateGuardrailBody } }, async (request) => {
    const paneId = (request.body.paneId ?? "").trim();
    if (paneId && !isPaneId(paneId)) throw invalidRequest(Messages.paneId);
    const windowIndex = request.body.windowIndex ?? 0;
    if (!Number.isSafeInteger(windowIndex)) throw invalidRequest(Messages.invalidJson);
    const input: GuardrailInput = {
      action: request.body.action ?? "",
      command: request.body.command ?? "",
      sessionName: (request.body.sessionName ?? "").trim(),
      windowIndex,
      paneId,
    };
    const decision = guardrails.evaluate(input);
    guardrails.audit(input, decision, AuditReason.ManualEvaluate, false);
    const body: GuardrailEvaluateResponse = { decision };
    return data(body);
  });
}
