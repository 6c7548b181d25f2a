// TypeBox schemas of src/protocol/guardrails.ts's request bodies and messages: what the server validates with.
// Only the server imports this module (the extension imports the runtime-free src/protocol/guardrails.ts).
import { type Static, Type } from "typebox";
import { body } from "./body.js";

/** `PATCH /api/ops/guardrails/rules/{rule}`: an upsert. `pattern` and `enabled` are required (400). */
export const UpsertGuardrailRuleBody = body({
  name: Type.Optional(Type.String()),
  scope: Type.Optional(Type.String()),
  pattern: Type.Optional(Type.String()),
  mode: Type.Optional(Type.String()),
  severity: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
  enabled: Type.Optional(Type.Boolean()),
  priority: Type.Optional(Type.Integer()),
});
export type UpsertGuardrailRuleBody = Static<typeof UpsertGuardrailRuleBody>;

/** `POST /api/ops/guardrails/evaluate`. Missing fields are Go zero values ("" and 0). */
export const EvaluateGuardrailBody = body({
  action: Type.Optional(Type.String()),
  command: Type.Optional(Type.String()),
  sessionName: Type.Optional(Type.String()),
  windowIndex: Type.Optional(Type.Integer()),
  paneId: Type.Optional(Type.String()),
});
export type EvaluateGuardrailBody = Static<typeof EvaluateGuardrailBody>;

export const GuardrailRuleParams = Type.Object({ rule: Type.String() });
export type GuardrailRuleParams = Static<typeof GuardrailRuleParams>;
