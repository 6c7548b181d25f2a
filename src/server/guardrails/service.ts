// The guardrails service (spec §6): rules (cached in memory, with their compiled patterns), evaluation, audit.
// The store is the only writer of rules besides SQL by hand, which takes effect at the next start.
import type {
  GuardrailAuditEntry,
  GuardrailDecision,
  GuardrailInput,
  GuardrailRule,
} from "../../protocol/guardrails.js";
import type { GuardrailsRepo, NewAuditEntry } from "../store/guardrailsRepo.js";
import { evaluateRules } from "./evaluate.js";
import { compileGoPattern, type GuardrailPattern, PatternError } from "./pattern.js";
import { DEFAULT_PRIORITY, normaliseMode, normaliseScope, normaliseSeverity, SEEDED_RULES } from "./rules.js";

export interface GuardrailsLogger {
  warn(object: object, message: string): void;
}

/** The fields of an upsert; absent ones keep the stored value (or take the default for a new rule). */
export interface RuleChanges {
  name?: string | undefined;
  scope?: string | undefined;
  pattern: string;
  mode?: string | undefined;
  severity?: string | undefined;
  message?: string | undefined;
  enabled: boolean;
  priority?: number | undefined;
}

export class Guardrails {
  private cached: GuardrailRule[] | undefined;
  /** Compiled patterns by source; `null` marks one that does not compile (logged once). */
  private readonly compiled = new Map<string, GuardrailPattern | null>();

  constructor(
    private readonly repo: GuardrailsRepo,
    private readonly log?: GuardrailsLogger,
  ) {
    repo.seed(SEEDED_RULES);
  }

  /** Every rule, `priority ASC, id ASC`. */
  rules(): GuardrailRule[] {
    this.cached ??= this.repo.rules();
    return this.cached;
  }

  /**
   * Inserts or updates a rule with §6.1's normalisation. The pattern must compile (PatternError otherwise):
   * unlike the seed, an invalid pattern is refused here instead of being skipped at every evaluation.
   */
  upsertRule(id: string, changes: RuleChanges): GuardrailRule[] {
    // Stored as sent: spaces can be part of a pattern. The route refuses a blank one.
    const pattern = changes.pattern;
    compileGoPattern(pattern);
    const existing = this.repo.rule(id);
    this.repo.upsert({
      id,
      name: (changes.name ?? existing?.name ?? id).trim() || id,
      scope: normaliseScope(changes.scope ?? existing?.scope),
      pattern,
      mode: normaliseMode(changes.mode ?? existing?.mode),
      severity: normaliseSeverity(changes.severity ?? existing?.severity),
      message: (changes.message ?? existing?.message ?? "").trim(),
      enabled: changes.enabled,
      priority: changes.priority ?? existing?.priority ?? DEFAULT_PRIORITY,
    });
    this.invalidate();
    return this.rules();
  }

  /** False when there was no such rule. A deleted seeded rule comes back at the next start. */
  deleteRule(id: string): boolean {
    const deleted = this.repo.delete(id);
    this.invalidate();
    return deleted;
  }

  evaluate(input: GuardrailInput): GuardrailDecision {
    return evaluateRules(this.rules(), input, (pattern) => this.compile(pattern));
  }

  /** Writes one audit row for a decision; `metadata` is a JSON string (§6.5). */
  audit(input: GuardrailInput, decision: GuardrailDecision, reason: string, override: boolean): void {
    const entry: NewAuditEntry = {
      ruleId: decision.matchedRuleId,
      decision: decision.mode,
      action: input.action,
      command: input.command,
      sessionName: input.sessionName,
      windowIndex: input.windowIndex,
      paneId: input.paneId,
      override,
      reason,
      metadata: JSON.stringify({ matchedRules: decision.matchedRules.length, mode: decision.mode }),
    };
    this.repo.addAudit(entry);
  }

  listAudit(limit: number): GuardrailAuditEntry[] {
    return this.repo.audit(limit);
  }

  private invalidate(): void {
    this.cached = undefined;
    this.compiled.clear();
  }

  private compile(pattern: string): GuardrailPattern | undefined {
    let compiled = this.compiled.get(pattern);
    if (compiled === undefined) {
      try {
        compiled = compileGoPattern(pattern);
      } catch (error) {
        if (!(error instanceof PatternError)) throw error;
        this.log?.warn({ pattern, reason: error.reason }, "guardrail pattern does not compile; rule skipped");
        compiled = null;
      }
      this.compiled.set(pattern, compiled);
    }
    return compiled ?? undefined;
  }
}
