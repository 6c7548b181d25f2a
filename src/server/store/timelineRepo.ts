// wt_timeline_events (spec §9, §1.5): command lifecycle and output-marker events, searchable, newest first.
import type { Store } from "./database.js";
import { Where } from "./where.js";

export interface TimelineInsert {
  session: string;
  windowIndex: number;
  paneId: string;
  eventType: string;
  severity: "info" | "warn" | "error";
  command: string;
  cwd: string;
  durationMs: number;
  summary: string;
  details: string;
  marker: string;
  metadata: Record<string, unknown>;
  createdAt: string;
}

export interface TimelineRow extends Omit<TimelineInsert, "severity"> {
  id: number;
  severity: string;
}

export interface TimelineFilter {
  session?: string;
  windowIndex?: number;
  paneId?: string;
  q?: string;
  severity?: string;
  eventType?: string;
  /** Stored-format (ISO with milliseconds) bounds, both inclusive. */
  since?: string;
  until?: string;
  limit: number;
}

function parseMetadata(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

export class TimelineRepo {
  constructor(private readonly store: Store) {}

  insert(e: TimelineInsert): void {
    this.store.run(
      `INSERT INTO wt_timeline_events (session_name, window_index, pane_id, event_type, severity, command, cwd,
         duration_ms, summary, details, marker, metadata_json, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        e.session,
        e.windowIndex,
        e.paneId,
        e.eventType,
        e.severity,
        e.command,
        e.cwd,
        Math.round(e.durationMs),
        e.summary,
        e.details,
        e.marker,
        JSON.stringify(e.metadata),
        e.createdAt,
      ],
    );
  }

  /** Newest first (created_at DESC, id DESC), `limit + 1` rows read to tell whether there are more. */
  search(filter: TimelineFilter): { events: TimelineRow[]; hasMore: boolean } {
    const where = new Where()
      .equals("session_name", filter.session)
      .equals("window_index", filter.windowIndex)
      .equals("pane_id", filter.paneId)
      .contains(["summary", "details", "command", "cwd", "marker"], filter.q)
      .equals("severity", filter.severity)
      .equals("event_type", filter.eventType)
      .atLeast("created_at", filter.since)
      .atMost("created_at", filter.until);
    const rows = this.store.all<Record<string, string | number>>(
      `SELECT id, session_name, window_index, pane_id, event_type, severity, command, cwd, duration_ms, summary,
         details, marker, metadata_json, created_at FROM wt_timeline_events
       ${where}
       ORDER BY created_at DESC, id DESC LIMIT ?`,
      [...where.params, filter.limit + 1],
    );
    const events = rows.slice(0, filter.limit).map(
      (r): TimelineRow => ({
        id: Number(r.id),
        session: String(r.session_name),
        windowIndex: Number(r.window_index),
        paneId: String(r.pane_id),
        eventType: String(r.event_type),
        severity: String(r.severity),
        command: String(r.command),
        cwd: String(r.cwd),
        durationMs: Number(r.duration_ms),
        summary: String(r.summary),
        details: String(r.details),
        marker: String(r.marker),
        metadata: parseMetadata(String(r.metadata_json)),
        createdAt: String(r.created_at),
      }),
    );
    return { events, hasMore: rows.length > filter.limit };
  }

  /** Keeps the newest `maxRows` rows by (created_at, id); returns how many were deleted. */
  retain(maxRows: number): number {
    return this.store.run(
      `DELETE FROM wt_timeline_events WHERE id IN (
         SELECT id FROM wt_timeline_events ORDER BY created_at DESC, id DESC LIMIT -1 OFFSET ?)`,
      [maxRows],
    ).changes;
  }

  count(): number {
    return Number(this.store.get<{ n: number }>("SELECT COUNT(*) AS n FROM wt_timeline_events")?.n ?? 0);
  }
}
