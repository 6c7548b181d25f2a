// ops_alerts (spec §1.7, §9): the alert state machine. Upsert by dedupe key (occurrences++, reopened only when
// resolved, an acked alert stays acked), resolve, acknowledge, newest first.
import { type AlertStatus, normalizeSeverity, type OpsAlert, type OpsSeverity } from "../../protocol/ops.js";
import type { Store } from "./database.js";

export interface AlertUpsert {
  dedupeKey: string;
  source: string;
  resource: string;
  title: string;
  message: string;
  severity: OpsSeverity;
  /** A JSON-encoded object. */
  metadata: string;
}

type RawRow = Record<string, string | number>;

const COLUMNS = `id, dedupe_key, source, resource, title, message, severity, status, occurrences, metadata,
  first_seen_at, last_seen_at, acked_at, resolved_at`;

function toAlert(r: RawRow): OpsAlert {
  const alert: OpsAlert = {
    id: Number(r.id),
    dedupeKey: String(r.dedupe_key),
    source: String(r.source),
    resource: String(r.resource),
    title: String(r.title),
    message: String(r.message),
    severity: normalizeSeverity(String(r.severity)),
    status: String(r.status) as AlertStatus,
    occurrences: Number(r.occurrences),
    metadata: String(r.metadata),
    firstSeenAt: String(r.first_seen_at),
    lastSeenAt: String(r.last_seen_at),
  };
  if (r.acked_at) alert.ackedAt = String(r.acked_at);
  if (r.resolved_at) alert.resolvedAt = String(r.resolved_at);
  return alert;
}

export class OpsAlertsRepo {
  constructor(private readonly store: Store) {}

  upsert(a: AlertUpsert, now: string): OpsAlert {
    if (!a.dedupeKey) throw new Error("alert dedupe key is required");
    this.store.run(
      `INSERT INTO ops_alerts (dedupe_key, source, resource, title, message, severity, status, occurrences, metadata,
         first_seen_at, last_seen_at)
       VALUES (?, ?, ?, ?, ?, ?, 'open', 1, ?, ?, ?)
       ON CONFLICT (dedupe_key) DO UPDATE SET
         source = excluded.source, resource = excluded.resource, title = excluded.title,
         message = excluded.message, severity = excluded.severity, metadata = excluded.metadata,
         occurrences = ops_alerts.occurrences + 1, last_seen_at = excluded.last_seen_at,
         status = CASE WHEN ops_alerts.status = 'resolved' THEN 'open' ELSE ops_alerts.status END,
         resolved_at = CASE WHEN ops_alerts.status = 'resolved' THEN '' ELSE ops_alerts.resolved_at END,
         acked_at = CASE WHEN ops_alerts.status = 'resolved' THEN '' ELSE ops_alerts.acked_at END`,
      [a.dedupeKey, a.source, a.resource, a.title, a.message, a.severity, a.metadata, now, now],
    );
    return this.byKey(a.dedupeKey)!;
  }

  /** The resolved alert, or undefined when there was nothing to resolve (unknown or already resolved). */
  resolve(dedupeKey: string, now: string): OpsAlert | undefined {
    const changed = this.store.run(
      `UPDATE ops_alerts SET status = 'resolved', resolved_at = ?, last_seen_at = ?
       WHERE dedupe_key = ? AND status != 'resolved'`,
      [now, now, dedupeKey],
    ).changes;
    return changed > 0 ? this.byKey(dedupeKey) : undefined;
  }

  /** The acked alert, or undefined when it is unknown or resolved (re-acking an acked alert is allowed). */
  ack(id: number, now: string): OpsAlert | undefined {
    const changed = this.store.run(
      `UPDATE ops_alerts SET status = 'acked', acked_at = ?, last_seen_at = ? WHERE id = ? AND status != 'resolved'`,
      [now, now, id],
    ).changes;
    return changed > 0 ? this.byId(id) : undefined;
  }

  byKey(dedupeKey: string): OpsAlert | undefined {
    const row = this.store.get<RawRow>(`SELECT ${COLUMNS} FROM ops_alerts WHERE dedupe_key = ?`, [dedupeKey]);
    return row ? toAlert(row) : undefined;
  }

  byId(id: number): OpsAlert | undefined {
    const row = this.store.get<RawRow>(`SELECT ${COLUMNS} FROM ops_alerts WHERE id = ?`, [id]);
    return row ? toAlert(row) : undefined;
  }

  /** Newest first (last_seen_at DESC, id DESC); `status` "" means every status. */
  list(limit: number, status: AlertStatus | "" = ""): OpsAlert[] {
    const rows = status
      ? this.store.all<RawRow>(
          `SELECT ${COLUMNS} FROM ops_alerts WHERE status = ? ORDER BY last_seen_at DESC, id DESC LIMIT ?`,
          [status, limit],
        )
      : this.store.all<RawRow>(
          `SELECT ${COLUMNS} FROM ops_alerts ORDER BY last_seen_at DESC, id DESC LIMIT ?`,
          [limit],
        );
    return rows.map(toAlert);
  }
}
