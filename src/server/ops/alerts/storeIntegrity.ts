// Store integrity as a user-visible fact (issue 14 item 5): when this start could not open the database and kept
// the old file aside (store/database.ts, `Store.recovery`), the user learns it from an ops alert (severity error,
// the copy's path in its message and metadata), an ops timeline entry (`store.recovered`), and GET /api/meta's
// `storeRecovery` until that alert is acknowledged or resolved (or the server restarts).
import type { StoreRecovery } from "../../../protocol/api.js";
import type { OpsTimeline } from "../timeline/timeline.js";
import type { OpsAlerts } from "./alerts.js";

export const STORE_RECOVERED_EVENT = "store.recovered";

/** One alert per kept copy: a later start that keeps another copy raises another alert. */
export function storeRecoveryDedupeKey(recovery: StoreRecovery): string {
  return `store:recovered:${recovery.keptAs}`;
}

export class StoreIntegrity {
  private alertId: number | undefined;

  constructor(
    private readonly recovery: StoreRecovery | undefined,
    private readonly alerts: OpsAlerts,
    private readonly timeline: OpsTimeline,
  ) {}

  /** Raises the alert and writes the timeline entry, once; nothing when the store opened its file as it was. */
  report(): void {
    const r = this.recovery;
    if (!r || this.alertId !== undefined) return;
    const metadata = { path: r.path, keptAs: r.keptAs, reason: r.reason, bytes: r.bytes, at: r.at };
    const message =
      `The database ${r.path} could not be opened (${r.reason}); the old file (${r.bytes} bytes) was kept as ` +
      `${r.keptAs} and a new, empty database created. Runbooks, job history, snapshots and alerts from before ` +
      "are in the kept copy.";
    const alert = this.alerts.raise({
      dedupeKey: storeRecoveryDedupeKey(r),
      source: "store",
      resource: r.keptAs,
      title: "Database could not be opened; a new one was created",
      message,
      severity: "error",
      metadata,
    });
    this.alertId = alert.id;
    this.timeline.record({
      source: "store",
      eventType: STORE_RECOVERED_EVENT,
      severity: "error",
      resource: r.path,
      message: `Database kept as ${r.keptAs} and created anew: ${r.reason}`,
      details: message,
      metadata: { ...metadata, alertId: alert.id },
    });
  }

  /** What GET /api/meta says: the recovery while its alert is open, undefined once acknowledged or resolved. */
  current(): StoreRecovery | undefined {
    const r = this.recovery;
    if (!r || this.alertId === undefined) return undefined;
    const alert = this.alerts.repo.byId(this.alertId);
    if (alert && alert.status !== "open") return undefined;
    return { ...r, alertId: this.alertId };
  }
}
