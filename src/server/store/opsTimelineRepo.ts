// ops_timeline_events (spec §9, §1.7): what happened on the ops side, searchable, newest first, with a bounded
// retention (the seed kept every row; Appendix A asks the port to bound it).
import { normalizeSeverity, type OpsSeverity, type OpsTimelineEvent } from "../../protocol/ops.js";
import type { Store } from "./database.js";
import { Where } from "./where.js";

export interface OpsTimelineInsert {
  source: string;
  eventType: string;
  severity: OpsSeverity;
  resource: string;
  message: string;
  details: string;
  /** A JSON-encoded object. */
  metadata: string;
  createdAt: string;
}

export interface OpsTimelineFilter {
  /** LIKE over message, details, resource and event_type. */
  q?: string;
  severity?: OpsSeverity;
  /** Exact, case-insensitive. */
  source?: string;
  /** Exact (port addition). */
  eventType?: string;
  /** Exact (port addition). */
  resource?: string;
  /** RFC 3339 bounds, both inclusive (port addition). */
  since?: string;
  until?: string;
  limit: number;
}

type RawRow = Record<string, string | number>;

const COLUMNS = "id, source, event_type, severity, resource, message, details, metadata, created_at";

function toEvent(r: RawRow): OpsTimelineEvent {
  return {
    id: Number(r.id),
    source: String(r.source),
    eventType: String(r.event_type),
    severity: normalizeSeverity(String(r.severity)),
    resource: String(r.resource),
    message: String(r.message),
    details: String(r.details),
    metadata: String(r.metadata),
    createdAt: String(r.created_at),
  };
}

export class OpsTimelineRepo {
  constructor(private readonly store: Store) {}

  insert(e: OpsTimelineInsert): OpsTimelineEvent {
    this.store.run(
      `INSERT INTO ops_timeline_events (source, event_type, severity, resource, message, details, metadata, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [e.source, e.eventType, e.severity, e.resource, e.message, e.details, e.metadata, e.createdAt],
    );
    const row = this.store.get<RawRow>(
      `SELECT ${COLUMNS} FROM ops_timeline_events WHERE id = last_insert_rowid()`,
    );
    if (!row) throw new Error("ops timeline insert returned no row");
    return toEvent(row);
  }

  /** Newest first (created_at DESC, id DESC); reads `limit + 1` rows to tell whether there are more. */
  search(filter: OpsTimelineFilter): { events: OpsTimelineEvent[]; hasMore: boolean } {
    const where = new Where()
      .contains(["message", "details", "resource", "event_type"], filter.q)
      .equals("severity", filter.severity);
    if (filter.source) where.raw("lower(source) = lower(?)", filter.source);
    where
      .equals("event_type", filter.eventType)
      .equals("resource", filter.resource)
      .atLeast("created_at", filter.since)
      .atMost("created_at", filter.until);
    const rows = this.store.all<RawRow>(
      `SELECT ${COLUMNS} FROM ops_timeline_events ${where} ORDER BY created_at DESC, id DESC LIMIT ?`,
      [...where.params, filter.limit + 1],
    );
    return { events: rows.slice(0, filter.limit).map(toEvent), hasMore: rows.length > filter.limit };
  }

  /** Keeps the newest `maxRows` rows and drops rows older than `olderThan` (when given); returns rows removed. */
  prune(maxRows: number, olderThan?: string): number {
    let removed = this.store.run(
      `DELETE FROM ops_timeline_events WHERE id <= (
         SELECT id FROM ops_timeline_events ORDER BY id DESC LIMIT 1 OFFSET ?)`,
      [maxRows],
    ).changes;
    if (olderThan) {
      removed += this.store.run("DELETE FROM ops_timeline_events WHERE created_at < ?", [olderThan]).changes;
    }
    return removed;
  }

  count(): number {
    return Number(this.store.get<RawRow>("SELECT COUNT(*) AS n FROM ops_timeline_events")?.n ?? 0);
  }
}
