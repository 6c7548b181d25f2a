// The `guardrail_rules` and `guardrail_audit` tables (spec §6.1, §6.5, §9).
import type { GuardrailAuditEntry, GuardrailMode, GuardrailRule } from "../../protocol/guardrails.js";
import type { SeededRule } from "../guardrails/rules.js";
import type { Store } from "./database.js";

interface RuleRow {
  id: string;
  name: string;
  scope: string;
  pattern: string;
  mode: string;
  severity: string;
  message: string;
  enabled: number;
  priority: number;
  created_at: string;
  updated_at: string;
}

interface AuditRow {
  id: number;
  rule_id: string;
  decision: string;
  action: string;
  command: string;
  session_name: string;
  window_index: number;
  pane_id: string;
  override: number;
  reason: string;
  metadata: string;
  created_at: string;
}

/** What an audit write carries; id and createdAt are the store's. */
export type NewAuditEntry = Omit<GuardrailAuditEntry, "id" | "createdAt">;

const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");

/** RFC 3339 on the wire, whatever SQL wrote (`YYYY-MM-DD HH:MM:SS` from a column default; §0.4). */
function rfc3339(value: string): string {
  return /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(value) ? `${value.replace(" ", "T")}Z` : value;
}

const toRule = (r: RuleRow): GuardrailRule => ({
  id: r.id,
  name: r.name,
  scope: r.scope as GuardrailRule["scope"],
  pattern: r.pattern,
  mode: r.mode as GuardrailRule["mode"],
  severity: r.severity as GuardrailRule["severity"],
  message: r.message,
  enabled: Number(r.enabled) !== 0,
  priority: Number(r.priority),
  createdAt: rfc3339(r.created_at),
  updatedAt: rfc3339(r.updated_at),
});

const toAudit = (r: AuditRow): GuardrailAuditEntry => ({
  id: Number(r.id),
  ruleId: r.rule_id,
  decision: r.decision as GuardrailMode,
  action: r.action,
  command: r.command,
  sessionName: r.session_name,
  windowIndex: Number(r.window_index),
  paneId: r.pane_id,
  override: Number(r.override) !== 0,
  reason: r.reason,
  metadata: r.metadata,
  createdAt: rfc3339(r.created_at),
});

const RULE_COLUMNS =
  "id, name, scope, pattern, mode, severity, message, enabled, priority, created_at, updated_at";

export class GuardrailsRepo {
  constructor(private readonly store: Store) {}

  /** INSERT OR IGNORE of each seeded rule: a deleted seed comes back, an edited one keeps its edits. */
  seed(rules: readonly SeededRule[]): void {
    this.store.transaction(() => {
      const ts = now();
      for (const r of rules) {
        this.store.run(
          `INSERT OR IGNORE INTO guardrail_rules (${RULE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            r.id,
            r.name,
            r.scope,
            r.pattern,
            r.mode,
            r.severity,
            r.message,
            r.enabled ? 1 : 0,
            r.priority,
            ts,
            ts,
          ],
        );
      }
    });
  }

  /** Every rule, `priority ASC, id ASC`. */
  rules(): GuardrailRule[] {
    return this.store
      .all<RuleRow>(`SELECT ${RULE_COLUMNS} FROM guardrail_rules ORDER BY priority ASC, id ASC`)
      .map(toRule);
  }

  rule(id: string): GuardrailRule | undefined {
    const row = this.store.get<RuleRow>(`SELECT ${RULE_COLUMNS} FROM guardrail_rules WHERE id = ?`, [id]);
    return row ? toRule(row) : undefined;
  }

  /** Inserts or replaces the rule; createdAt is kept on update. */
  upsert(rule: Omit<GuardrailRule, "createdAt" | "updatedAt">): void {
    const ts = now();
    this.store.run(
      `INSERT INTO guardrail_rules (${RULE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET name = excluded.name, scope = excluded.scope, pattern = excluded.pattern,
         mode = excluded.mode, severity = excluded.severity, message = excluded.message,
         enabled = excluded.enabled, priority = excluded.priority, updated_at = excluded.updated_at`,
      [
        rule.id,
        rule.name,
        rule.scope,
        rule.pattern,
        rule.mode,
        rule.severity,
        rule.message,
        rule.enabled ? 1 : 0,
        rule.priority,
        ts,
        ts,
      ],
    );
  }

  /** True when a row was deleted. */
  delete(id: string): boolean {
    return this.store.run("DELETE FROM guardrail_rules WHERE id = ?", [id]).changes > 0;
  }

  addAudit(entry: NewAuditEntry): void {
    this.store.run(
      `INSERT INTO guardrail_audit
         (rule_id, decision, action, command, session_name, window_index, pane_id, override, reason, metadata, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        entry.ruleId,
        entry.decision,
        entry.action,
        entry.command,
        entry.sessionName,
        entry.windowIndex,
        entry.paneId,
        entry.override ? 1 : 0,
        entry.reason,
        entry.metadata,
        now(),
      ],
    );
  }

  /** Newest first (`created_at DESC, id DESC`). */
  audit(limit = 50): GuardrailAuditEntry[] {
    return this.store
      .all<AuditRow>(
        `SELECT id, rule_id, decision, action, command, session_name, window_index, pane_id, override, reason,
                metadata, created_at
         FROM guardrail_audit ORDER BY created_at DESC, id DESC LIMIT ?`,
        [limit],
      )
      .map(toAudit);
  }
}
