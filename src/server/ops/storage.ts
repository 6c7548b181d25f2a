// Storage statistics and flush (spec §1.9): the database files' sizes and, per resource, its rows and the
// approximate bytes of its text columns; flushing empties a resource. Tables another part of the server has
// not created (yet) count as empty.
import { stat } from "node:fs/promises";
import type { StorageResourceName, StorageResourceStats } from "../../protocol/ops.js";
import type { Store } from "../store/database.js";

interface ResourceSpec {
  resource: StorageResourceName;
  label: string;
  tables: string[];
}

/** In the spec's order (stats list them so, `all` flushes so). */
export const STORAGE_RESOURCES: readonly ResourceSpec[] = [
  { resource: "timeline", label: "Timeline events", tables: ["wt_timeline_events"] },
  { resource: "activity-journal", label: "Activity journal", tables: ["wt_journal"] },
  { resource: "guardrail-audit", label: "Guardrail audit", tables: ["guardrail_audit"] },
  {
    resource: "recovery-history",
    label: "Recovery history",
    tables: ["recovery_snapshots", "recovery_jobs"],
  },
  { resource: "ops-timeline", label: "Ops timeline", tables: ["ops_timeline_events"] },
  { resource: "ops-alerts", label: "Ops alerts", tables: ["ops_alerts"] },
  { resource: "ops-jobs", label: "Ops runbook jobs", tables: ["ops_runbook_runs"] },
];

export const isStorageResource = (value: string): value is StorageResourceName =>
  STORAGE_RESOURCES.some((r) => r.resource === value);

async function size(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

export class StorageStats {
  constructor(private readonly store: Store) {}

  private exists(table: string): boolean {
    return !!this.store.get("SELECT 1 AS one FROM sqlite_master WHERE type = 'table' AND name = ?", [table]);
  }

  private textColumns(table: string): string[] {
    return this.store
      .all<{ name: string; type: string }>(`PRAGMA table_info(${table})`)
      .filter((c) => /TEXT|CHAR|CLOB/i.test(String(c.type)))
      .map((c) => String(c.name));
  }

  async collect(): Promise<{
    databaseBytes: number;
    walBytes: number;
    shmBytes: number;
    totalBytes: number;
    resources: StorageResourceStats[];
  }> {
    const path = this.store.path;
    const [databaseBytes, walBytes, shmBytes, journalBytes] = await Promise.all([
      size(path),
      size(`${path}-wal`),
      size(`${path}-shm`),
      size(`${path}-journal`),
    ]);
    const resources = STORAGE_RESOURCES.map((spec) => {
      let rows = 0;
      let approxBytes = 0;
      for (const table of spec.tables) {
        if (!this.exists(table)) continue;
        const columns = this.textColumns(table);
        const sum = columns.length
          ? `, COALESCE(SUM(${columns.map((c) => `COALESCE(length("${c}"), 0)`).join(" + ")}), 0) AS bytes`
          : ", 0 AS bytes";
        const row = this.store.get<{ n: number; bytes: number }>(`SELECT COUNT(*) AS n${sum} FROM ${table}`);
        rows += Number(row?.n ?? 0);
        approxBytes += Number(row?.bytes ?? 0);
      }
      return { resource: spec.resource, label: spec.label, rows, approxBytes };
    });
    return {
      databaseBytes,
      walBytes: walBytes + journalBytes,
      shmBytes,
      totalBytes: databaseBytes + walBytes + journalBytes + shmBytes,
      resources,
    };
  }

  /** Empties one resource (or `all`, in order); returns the rows removed per resource. */
  flush(
    resource: StorageResourceName | "all",
  ): Array<{ resource: StorageResourceName; removedRows: number }> {
    const specs =
      resource === "all" ? STORAGE_RESOURCES : STORAGE_RESOURCES.filter((r) => r.resource === resource);
    const results = this.store.transaction(() =>
      specs.map((spec) => {
        let removedRows = 0;
        for (const table of spec.tables) {
          if (!this.exists(table)) continue;
          // Runbook jobs still queued or running are kept: their runner is writing to them.
          const where = table === "ops_runbook_runs" ? " WHERE status NOT IN ('queued', 'running')" : "";
          removedRows += this.store.run(`DELETE FROM ${table}${where}`).changes;
        }
        if (spec.resource === "recovery-history" && this.exists("recovery_sessions")) {
          try {
            this.store.run(
              `UPDATE recovery_sessions SET latest_snapshot_id = 0, snapshot_hash = '', snapshot_at = '', windows = 0, panes = 0`,
            );
          } catch {
            // A recovery schema without these columns has no snapshot pointers to reset.
          }
        }
        return { resource: spec.resource, removedRows };
      }),
    );
    try {
      this.store.run("PRAGMA wal_checkpoint(TRUNCATE)");
    } catch {
      // Best-effort (the store may not be in WAL mode).
    }
    return results;
  }
}
