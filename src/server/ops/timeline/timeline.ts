// The ops timeline (spec §1.7, §8): every ops writer (services, alerts, config, runbooks, schedules) records
// what happened here. Each record is stored, the retention applied, and `ops.timeline.updated {globalRev,event}`
// published. Another module only needs `record()`.
import { rfc3339Seconds } from "../../../protocol/events.js";
import {
  normalizeSeverity,
  OpsEventType,
  type OpsTimelineEvent,
  type OpsTimelineUpdatedPayload,
} from "../../../protocol/ops.js";
import type { EventHub } from "../../events/hub.js";
import type { Store } from "../../store/database.js";
import { type OpsTimelineFilter, OpsTimelineRepo } from "../../store/opsTimelineRepo.js";

/** What a writer gives; every field is optional and defaults as the seed's insert did (§1.7). */
export interface OpsTimelineRecord {
  /** Default `ops`. Writers use `service`, `alert`, `config`, `runbook`, `scheduler`, `health`. */
  source?: string;
  /** Default `ops.event`, e.g. `service.action`, `runbook.started`. */
  eventType?: string;
  /** `info` (default), `warn`/`warning`, `error`/`err`. */
  severity?: string;
  /** What the event is about: a service name, a runbook or job id, `config.toml`. */
  resource?: string;
  /** The one-line text shown in the timeline. */
  message?: string;
  /** Alias of `message` for writers that think in titles; `message` wins when both are given. */
  title?: string;
  details?: string;
  /** An object (stored as its JSON) or a JSON string. */
  metadata?: Record<string, unknown> | string;
}

export interface OpsTimelineOptions {
  /** Newest rows kept (default 20000, `ops_timeline_rows`). */
  retentionRows?: number;
  /** Rows older than this are dropped too (0 or absent: no age limit; `ops_timeline_max_age`). */
  maxAgeMs?: number;
  now?: () => Date;
}

/** `ops.*` payloads carry `Date.now()` as their globalRev (spec §1.6 quirk, kept). */
export const opsGlobalRev = () => Date.now();

export class OpsTimeline {
  readonly repo: OpsTimelineRepo;
  private readonly retentionRows: number;
  private readonly maxAgeMs: number;
  private readonly now: () => Date;

  constructor(
    store: Store,
    private readonly events: EventHub,
    options: OpsTimelineOptions = {},
  ) {
    this.repo = new OpsTimelineRepo(store);
    this.retentionRows = Math.max(1, options.retentionRows ?? 20_000);
    this.maxAgeMs = Math.max(0, options.maxAgeMs ?? 0);
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Stores one event, applies the retention, publishes `ops.timeline.updated {globalRev,event}` (unless
   * `publish` is false) and returns the stored event. Throws only on a store failure.
   */
  record(input: OpsTimelineRecord, options: { publish?: boolean } = {}): OpsTimelineEvent {
    const now = this.now();
    const metadata =
      typeof input.metadata === "string" ? input.metadata || "{}" : JSON.stringify(input.metadata ?? {});
    const event = this.repo.insert({
      source: input.source?.trim() || "ops",
      eventType: input.eventType?.trim() || "ops.event",
      severity: normalizeSeverity(input.severity),
      resource: input.resource ?? "",
      message: input.message ?? input.title ?? "",
      details: input.details ?? "",
      metadata,
      createdAt: rfc3339Seconds(now),
    });
    this.prune(now);
    if (options.publish !== false) {
      const payload: OpsTimelineUpdatedPayload = { globalRev: opsGlobalRev(), event };
      this.events.publish(OpsEventType.TimelineUpdated, payload);
    }
    return event;
  }

  search(filter: OpsTimelineFilter): { events: OpsTimelineEvent[]; hasMore: boolean } {
    return this.repo.search(filter);
  }

  /** The newest `limit` events (the 5 s ticker sends 200). */
  latest(limit: number): OpsTimelineEvent[] {
    return this.repo.search({ limit }).events;
  }

  /** Applies the retention now; returns the rows removed. */
  prune(now: Date = this.now()): number {
    const cutoff = this.maxAgeMs > 0 ? rfc3339Seconds(new Date(now.getTime() - this.maxAgeMs)) : undefined;
    return this.repo.prune(this.retentionRows, cutoff);
  }
}
