// Strongest-decision evaluation (spec §6.2): every enabled rule in priority order is tried against its target;
// the first rule with the strictly highest rank (block > confirm > warn > allow) wins.
import {
  DEFAULT_DECISION_MESSAGES,
  type GuardrailDecision,
  type GuardrailInput,
  type GuardrailMode,
  type GuardrailRule,
} from "../../protocol/guardrails.js";
import type { GuardrailPattern } from "./pattern.js";
import { byPriority, normaliseMode } from "./rules.js";

const RANK: Record<GuardrailMode, number> = { allow: 1, warn: 2, confirm: 3, block: 4 };

/** Returns the compiled pattern, or undefined when it does not compile (the rule is then skipped). */
export type PatternCompiler = (pattern: string) => GuardrailPattern | undefined;

export function noMatchDecision(): GuardrailDecision {
  return {
    mode: "allow",
    allowed: true,
    requireConfirm: false,
    message: "",
    matchedRuleId: "",
    matchedRules: [],
  };
}

export function evaluateRules(
  rules: readonly GuardrailRule[],
  input: Pick<GuardrailInput, "action" | "command">,
  compile: PatternCompiler,
): GuardrailDecision {
  const matched: GuardrailRule[] = [];
  let winner: GuardrailRule | undefined;
  let winnerRank = 0;
  for (const rule of [...rules].sort(byPriority)) {
    if (!rule.enabled) continue;
    const target = (rule.scope.toLowerCase() === "action" ? input.action : input.command).trim();
    if (!target) continue;
    if (!compile(rule.pattern)?.test(target)) continue;
    matched.push(rule);
    const rank = RANK[normaliseMode(rule.mode)];
    if (rank > winnerRank) {
      winner = rule;
      winnerRank = rank;
    }
  }
  if (!winner) return noMatchDecision();
  const mode = normaliseMode(winner.mode);
  return {
    mode,
    allowed: mode !== "block",
    requireConfirm: mode === "confirm",
    message: winner.message || DEFAULT_DECISION_MESSAGES[mode],
    matchedRuleId: winner.id,
    matchedRules: matched,
  };
}
