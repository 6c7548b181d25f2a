// The `ops_runbooks` table (spec §9, migration 6): runbooks and their steps.
import type { Runbook, RunbookStep } from "../../protocol/opsRunbooks.js";
import type { Store } from "./database.js";
import { nowRfc3339, parseJson, rfc3339 } from "./opsRunbookRows.js";

interface RunbookRow {
  id: string;
  name: string;
  description: string;
  steps_json: string;
  enabled: number;
  timeout_seconds: number;
  created_at: string;
  updated_at: string;
}

/** Omits the optional step fields that are empty (spec §1.8). */
function cleanStep(step: RunbookStep): RunbookStep {
  const out: RunbookStep = { type: step.type, title: step.title };
  if (step.command) out.command = step.command;
  if (step.check) out.check = step.check;
  if (step.description) out.description = step.description;
  if (step.timeoutSeconds) out.timeoutSeconds = step.timeoutSeconds;
  return out;
}

const toRunbook = (r: RunbookRow): Runbook => {
  const runbook: Runbook = {
    id: r.id,
    name: r.name,
    description: r.description,
    enabled: Number(r.enabled) !== 0,
    steps: parseJson<RunbookStep[]>(r.steps_json, []).map(cleanStep),
    createdAt: rfc3339(r.created_at),
    updatedAt: rfc3339(r.updated_at),
  };
  if (Number(r.timeout_seconds) > 0) runbook.timeoutSeconds = Number(r.timeout_seconds);
  return runbook;
};

export interface RunbookRecord {
  id: string;
  name: string;
  description: string;
  enabled: boolean;
  steps: RunbookStep[];
  timeoutSeconds: number;
}

export class RunbookRepo {
  constructor(private readonly store: Store) {}

  runbooks(): Runbook[] {
    return this.store.all<RunbookRow>("SELECT * FROM ops_runbooks ORDER BY name, id").map(toRunbook);
  }

  runbook(id: string): Runbook | undefined {
    const row = this.store.get<RunbookRow>("SELECT * FROM ops_runbooks WHERE id = ?", [id]);
    return row ? toRunbook(row) : undefined;
  }

  /** False when the id is taken. */
  insertRunbook(r: RunbookRecord): boolean {
    const now = nowRfc3339();
    const { changes } = this.store.run(
      `INSERT OR IGNORE INTO ops_runbooks (id, name, description, steps_json, enabled, timeout_seconds, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [r.id, r.name, r.description, JSON.stringify(r.steps), r.enabled ? 1 : 0, r.timeoutSeconds, now, now],
    );
    return changes > 0;
  }

  /** False when there is no such runbook. */
  updateRunbook(r: RunbookRecord): boolean {
    const { changes } = this.store.run(
      `UPDATE ops_runbooks SET name = ?, description = ?, steps_json = ?, enabled = ?, timeout_seconds = ?, updated_at = ?
       WHERE id = ?`,
      [
        r.name,
        r.description,
        JSON.stringify(r.steps),
        r.enabled ? 1 : 0,
        r.timeoutSeconds,
        nowRfc3339(),
        r.id,
      ],
    );
    return changes > 0;
  }

  deleteRunbook(id: string): boolean {
    return this.store.run("DELETE FROM ops_runbooks WHERE id = ?", [id]).changes > 0;
  }
}
