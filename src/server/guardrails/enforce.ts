// The confirm flow (spec §6.4): what a guarded route calls after validating its input and before touching tmux.
// A block is 409 GUARDRAIL_BLOCKED whatever the confirmation; a confirm is 428 GUARDRAIL_CONFIRM_REQUIRED unless
// the request carries `X-Sentinel-Guardrail-Confirm` or `?confirm=` with a yes value. Both publish
// `tmux.guardrail.blocked`. Every outcome with a matched rule is audited. A failing store lets the request pass.
import type { FastifyRequest } from "fastify";
import {
  AuditReason,
  GUARDRAIL_BLOCKED_EVENT,
  GUARDRAIL_CONFIRM_HEADER,
  GUARDRAIL_CONFIRM_QUERY,
  type GuardrailBlockedPayload,
  type GuardrailDecision,
  GuardrailErrorCode,
  type GuardrailErrorDetails,
  type GuardrailInput,
  isConfirmValue,
} from "../../protocol/guardrails.js";
import type { AppContext } from "../context.js";
import { DomainError } from "../errors.js";
import { noMatchDecision } from "./evaluate.js";

/** The first value, as Go's `Header.Get` and `URL.Query().Get` read it. */
function first(value: unknown): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return typeof v === "string" ? v : undefined;
}

export function isConfirmed(request: Pick<FastifyRequest, "headers" | "query">): boolean {
  const header = first(request.headers[GUARDRAIL_CONFIRM_HEADER.toLowerCase()]);
  const query = first((request.query as Record<string, unknown> | undefined)?.[GUARDRAIL_CONFIRM_QUERY]);
  return isConfirmValue(header) || isConfirmValue(query);
}

type GuardrailRefusal = typeof GuardrailErrorCode.Blocked | typeof GuardrailErrorCode.ConfirmRequired;

/** The guarded operation: `action` plus whichever of the other fields apply (§6.3). */
export type GuardedOperation = Pick<GuardrailInput, "action" | "sessionName"> &
  Partial<Pick<GuardrailInput, "command" | "windowIndex" | "paneId">>;

/**
 * Evaluates, audits, publishes and throws GUARDRAIL_BLOCKED or GUARDRAIL_CONFIRM_REQUIRED (409/428 over HTTP); returns the decision when the operation may
 * proceed. Synchronous: the store is in-process.
 */
export function enforceGuardrail(
  ctx: Pick<AppContext, "guardrails" | "events">,
  request: Pick<FastifyRequest, "headers" | "query" | "log">,
  operation: GuardedOperation,
): GuardrailDecision {
  const input: GuardrailInput = {
    action: operation.action,
    command: operation.command ?? "",
    sessionName: operation.sessionName,
    windowIndex: operation.windowIndex ?? -1,
    paneId: operation.paneId ?? "",
  };
  let decision: GuardrailDecision;
  try {
    decision = ctx.guardrails.evaluate(input);
  } catch (error) {
    request.log.warn(
      { err: error, action: input.action },
      "guardrail evaluation failed; allowing (fail-open)",
    );
    return noMatchDecision();
  }
  const audit = (reason: string, override: boolean) => {
    try {
      ctx.guardrails.audit(input, decision, reason, override);
    } catch (error) {
      request.log.error({ err: error, action: input.action, reason }, "could not write the guardrail audit");
    }
  };
  const refuse = (code: GuardrailRefusal, reason: string): never => {
    const payload: GuardrailBlockedPayload = {
      action: input.action,
      session: input.sessionName,
      paneId: input.paneId,
      decision,
    };
    ctx.events.publish(GUARDRAIL_BLOCKED_EVENT, payload);
    audit(reason, false);
    request.log.info(
      { action: input.action, session: input.sessionName, rule: decision.matchedRuleId, reason },
      "guardrail refused the operation",
    );
    const details: GuardrailErrorDetails = { decision };
    throw new DomainError(code, decision.message, details);
  };

  switch (decision.mode) {
    case "block":
      return refuse(GuardrailErrorCode.Blocked, AuditReason.Blocked);
    case "confirm":
      if (!isConfirmed(request))
        return refuse(GuardrailErrorCode.ConfirmRequired, AuditReason.ConfirmRequired);
      audit(AuditReason.Confirmed, true);
      return decision;
    case "warn":
      audit(AuditReason.Warn, false);
      return decision;
    default:
      if (decision.matchedRules.length > 0) audit(AuditReason.Allow, false);
      return decision;
  }
}
