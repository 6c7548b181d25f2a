// Ops alerts (spec §1.7, §8): raise (upsert by dedupe key) and resolve publish `ops.alerts.updated
// {globalRev,alert}`; acknowledge writes the `alert.acked` timeline event and publishes `{globalRev,alert,
// action:"ack"}`.
import { rfc3339Seconds } from "../../../protocol/events.js";
import {
  type AlertStatus,
  normalizeSeverity,
  type OpsAlert,
  type OpsAlertsUpdatedPayload,
  OpsEventType,
  type OpsTimelineEvent,
} from "../../../protocol/ops.js";
import type { EventHub } from "../../events/hub.js";
import type { Store } from "../../store/database.js";
import { OpsAlertsRepo } from "../../store/opsAlertsRepo.js";
import { type OpsTimeline, opsGlobalRev } from "../timeline/timeline.js";

export interface AlertRaise {
  dedupeKey: string;
  /** Default `ops`. */
  source?: string;
  resource?: string;
  /** Default: the dedupe key. */
  title?: string;
  /** Default: the title. */
  message?: string;
  severity?: string;
  metadata?: Record<string, unknown>;
}

export class OpsAlerts {
  readonly repo: OpsAlertsRepo;

  constructor(
    store: Store,
    private readonly events: EventHub,
    private readonly timeline: OpsTimeline,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.repo = new OpsAlertsRepo(store);
  }

  /** Upserts and publishes `{globalRev,alert}` (unless `publish` is false); a persisting condition re-publishes. */
  raise(input: AlertRaise, options: { publish?: boolean } = {}): OpsAlert {
    const dedupeKey = input.dedupeKey.trim();
    if (!dedupeKey) throw new Error("alert dedupe key is required");
    const title = input.title?.trim() || dedupeKey;
    const alert = this.repo.upsert(
      {
        dedupeKey,
        source: input.source?.trim() || "ops",
        resource: input.resource ?? "",
        title,
        message: input.message?.trim() || title,
        severity: normalizeSeverity(input.severity),
        metadata: JSON.stringify(input.metadata ?? {}),
      },
      rfc3339Seconds(this.now()),
    );
    if (options.publish !== false) this.publish({ globalRev: opsGlobalRev(), alert });
    return alert;
  }

  /** Resolves an open or acked alert and publishes it; undefined (and nothing published) when nothing was open. */
  resolve(dedupeKey: string): OpsAlert | undefined {
    const alert = this.repo.resolve(dedupeKey, rfc3339Seconds(this.now()));
    if (alert) this.publish({ globalRev: opsGlobalRev(), alert });
    return alert;
  }

  /** Undefined when the alert is unknown or already resolved (404 OPS_ALERT_NOT_FOUND). */
  ack(id: number): { alert: OpsAlert; timelineEvent: OpsTimelineEvent; globalRev: number } | undefined {
    const alert = this.repo.ack(id, rfc3339Seconds(this.now()));
    if (!alert) return undefined;
    const timelineEvent = this.timeline.record({
      source: "alert",
      eventType: "alert.acked",
      severity: "info",
      resource: alert.resource || alert.dedupeKey,
      message: `Alert acknowledged: ${alert.title}`,
      details: alert.message,
      metadata: { alertId: alert.id, dedupeKey: alert.dedupeKey },
    });
    const globalRev = opsGlobalRev();
    this.publish({ globalRev, alert, action: "ack" });
    return { alert, timelineEvent, globalRev };
  }

  list(limit: number, status: AlertStatus | "" = ""): OpsAlert[] {
    return this.repo.list(limit, status);
  }

  publish(payload: OpsAlertsUpdatedPayload): void {
    this.events.publish(OpsEventType.AlertsUpdated, payload);
  }
}
