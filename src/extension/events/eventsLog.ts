// The Events view's model (no `vscode` import): events of the stream worth a person's attention (ops, recovery,
// guardrails, recordings, and types this version does not know), each with a category, a severity, a title and
// a detail, in a ring buffer of fixed capacity (the newest kept), listed newest first through a filter. The
// high-rate tmux activity events and the periodic ops snapshots (metrics, the 5 s alert and timeline lists) are
// not events a person reads; they are left out.
import { type EventEnvelope, EventType } from "../../protocol/events.js";
import type { GuardrailBlockedPayload } from "../../protocol/guardrails.js";
import type { RecordingUpdatedPayload } from "../../protocol/recording.js";
import { Emitter } from "../util/emitter.js";

export type EventCategory = "ops" | "recovery" | "guardrail" | "recording" | "other";
export type EventSeverity = "error" | "warning" | "info";

export const EVENT_CATEGORIES: readonly EventCategory[] = [
  "ops",
  "recovery",
  "guardrail",
  "recording",
  "other",
];

export interface EventEntry {
  /** Order of arrival in this window, from 1. */
  seq: number;
  eventId: number;
  type: string;
  /** RFC 3339 as the server sent it. */
  timestamp: string;
  category: EventCategory;
  severity: EventSeverity;
  title: string;
  detail: string;
  /** A session the event is about, when there is one. */
  session?: string;
  /** What notifications deduplicate on: the same key is the same thing happening again. */
  key: string;
  /** Whether this event deserves a notification (alerts raised, guardrail blocks, failures). */
  notify: boolean;
  /** The matched guardrail rule (guardrail events). */
  ruleId?: string;
  /** How many times this has happened while listed (an alert raised again, a job's next step…), from 1. */
  count: number;
}

export interface EventsFilter {
  /** Case-insensitive substring of the title, detail, type or session. */
  text?: string;
  /** Only these categories (all when empty or absent). */
  categories?: EventCategory[];
  /** At least this severity. */
  minSeverity?: EventSeverity;
}

const RANK: Record<EventSeverity, number> = { info: 0, warning: 1, error: 2 };

const IGNORED = new Set<string>([
  EventType.Ready,
  EventType.Reconcile,
  EventType.SessionsUpdated,
  EventType.InspectorUpdated,
  EventType.ActivityUpdated,
  EventType.TimelineUpdated,
  EventType.OpsMetricsUpdated,
]);

type Classified = Omit<EventEntry, "seq" | "eventId" | "type" | "timestamp" | "count">;

const str = (v: unknown): string => (typeof v === "string" ? v : typeof v === "number" ? String(v) : "");
const rec = (v: unknown): Record<string, unknown> =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

function severityOf(value: unknown): EventSeverity {
  const s = str(value).toLowerCase();
  if (s === "error" || s === "err" || s === "critical" || s === "failed") return "error";
  if (s === "warn" || s === "warning") return "warning";
  return "info";
}

/** What an event means for the Events view, or undefined when it is not listed. */
export function classifyEvent(event: EventEnvelope): Classified | undefined {
  if (IGNORED.has(event.type)) return undefined;
  const p = rec(event.payload);
  const type = event.type;
  if (type === EventType.GuardrailBlocked) {
    const g = p as unknown as Partial<GuardrailBlockedPayload>;
    const decision = g.decision;
    const rule =
      decision?.matchedRules?.find((r) => r.id === decision.matchedRuleId) ?? decision?.matchedRules?.[0];
    const blocked = decision?.mode === "block";
    const what = `${str(g.action)}${g.session ? ` on ${g.session}` : ""}`;
    return {
      category: "guardrail",
      severity: blocked ? "error" : "warning",
      title: `${blocked ? "Blocked" : "Confirmation required"}: ${what}`,
      detail: [rule ? `rule "${rule.name}"` : "", decision?.message || rule?.message || ""]
        .filter(Boolean)
        .join(": "),
      ...(g.session ? { session: g.session } : {}),
      key: `guardrail:${decision?.mode}:${g.session}:${g.action}:${decision?.matchedRuleId ?? ""}`,
      notify: blocked,
      ruleId: decision?.matchedRuleId ?? "",
    };
  }
  if (type === EventType.RecordingUpdated) {
    const r = p as unknown as Partial<RecordingUpdatedPayload>;
    const info = r.recording;
    const session = info?.session ?? "";
    const failed = info?.status === "failed";
    const severity: EventSeverity = failed ? "error" : r.action === "limit" ? "warning" : "info";
    const verb =
      r.action === "start"
        ? "Recording started"
        : r.action === "delete"
          ? "Recording deleted"
          : r.action === "limit"
            ? "Recording stopped at a limit"
            : failed
              ? "Recording failed"
              : "Recording stopped";
    return {
      category: "recording",
      severity,
      title: `${verb}: ${session}`,
      detail: [info?.stopReason ?? "", info?.error ?? ""].filter(Boolean).join(": "),
      ...(session ? { session } : {}),
      key: `recording:${info?.id}:${r.action}`,
      notify: failed || r.action === "limit",
    };
  }
  if (type.startsWith("ops.")) {
    if (type === EventType.OpsAlertsUpdated) {
      const alert = rec(p.alert);
      if (!p.alert) {
        // A list of alerts: the 5 s snapshot (no globalRev) is not an event; a raise with a list is.
        if (p.globalRev === undefined || !Array.isArray(p.alerts)) return undefined;
        const alerts = (p.alerts as unknown[]).map(rec);
        const worst = alerts.reduce<EventSeverity>(
          (w, a) => (RANK[severityOf(a.severity)] > RANK[w] ? severityOf(a.severity) : w),
          "info",
        );
        return {
          category: "ops",
          severity: worst,
          title: `Alerts raised: ${alerts.map((a) => str(a.title)).join(", ") || alerts.length}`,
          detail: "",
          key: `alerts:${alerts.map((a) => `${str(a.id)}:${str(a.status)}`).join(",")}`,
          notify: alerts.some((a) => str(a.status) === "open"),
        };
      }
      const status = str(alert.status);
      const acked = p.action === "ack" || status === "acked";
      const resolved = status === "resolved";
      return {
        category: "ops",
        severity: acked || resolved ? "info" : severityOf(alert.severity),
        title: `${acked ? "Alert acknowledged" : resolved ? "Alert resolved" : "Alert"}: ${str(alert.title) || str(alert.dedupeKey)}`,
        detail: str(alert.message),
        key: `alert:${str(alert.id)}:${status}`,
        notify: status === "open" && !acked,
      };
    }
    if (type === EventType.OpsTimelineUpdated) {
      if (!p.event) return undefined; // the 5 s snapshot of the timeline
      const e = rec(p.event);
      return {
        category: "ops",
        severity: severityOf(e.severity),
        title: str(e.message) || str(e.eventType) || type,
        detail: [str(e.source), str(e.resource), str(e.details)].filter(Boolean).join(" · "),
        key: `timeline:${str(e.id)}`,
        notify: false,
      };
    }
    if (type === EventType.OpsJobUpdated) {
      const job = rec(p.job);
      const status = str(job.status);
      return {
        category: "ops",
        severity: status === "failed" ? "error" : "info",
        title: `Runbook job ${str(job.id)} ${status}${job.currentStep ? `: ${str(job.currentStep)}` : ""}`,
        detail: str(job.error) || str(job.runbookName) || str(job.runbookId),
        key: `job:${str(job.id)}:${status}`,
        notify: status === "failed",
      };
    }
    if (type === EventType.OpsServicesUpdated) {
      return {
        category: "ops",
        severity: "info",
        title: `Service ${str(p.service)}: ${str(p.action)}`,
        detail: "",
        key: `service:${str(p.service)}:${str(p.action)}`,
        notify: false,
      };
    }
    return {
      category: "ops",
      severity: "info",
      title: type,
      detail: str(p.action),
      key: `${type}:${event.eventId}`,
      notify: false,
    };
  }
  if (type.startsWith("recovery.")) {
    const session = str(p.session) || str(p.target);
    if (type === EventType.RecoveryJobUpdated) {
      const status = str(p.status);
      const progress = p.total !== undefined ? ` (${str(p.completed)}/${str(p.total)})` : "";
      return {
        category: "recovery",
        severity: status === "failed" ? "error" : "info",
        title: `Restore job ${str(p.jobId)} ${status}${progress}`,
        detail: str(p.message) || str(p.step) || str(p.target),
        ...(session ? { session } : {}),
        key: `recovery-job:${str(p.jobId)}:${status}`,
        notify: status === "failed",
      };
    }
    const state = str(p.status) || str(p.action);
    // The same news again (a session's same state, a collect that changed sessions but lost none) is one row with
    // its count; a collect that lost sessions (killed, reboot, tmux server gone) keeps a row of its own.
    const lost = Number(p.killed) > 0 || p.bootChanged === true || p.serverLost === true;
    return {
      category: "recovery",
      severity: state === "killed" || lost ? "warning" : "info",
      title: session
        ? `Session ${session}: ${state}`
        : `Recovery: ${str(p.changedSessions)} session${Number(p.changedSessions) === 1 ? "" : "s"} changed`,
      detail: p.killed !== undefined ? `${str(p.killed)} killed` : "",
      ...(session ? { session } : {}),
      key: session
        ? `recovery:${session}:${state}`
        : lost
          ? `recovery:lost:${event.eventId}`
          : `recovery:changed`,
      notify: false,
    };
  }
  return {
    category: "other",
    severity: severityOf(p.severity),
    title: type,
    detail: "",
    key: `${type}:${event.eventId}`,
    notify: false,
  };
}

/**
 * A fixed-capacity ring of entries: adding past the capacity drops the oldest. The same thing happening again
 * (an entry with the key of one still listed: an open alert raised again by each health check, a job's next
 * step, a repeated block) replaces the listed entry, newest first, with its count, so repeats never push the
 * rest out of the list.
 */
export class EventsLog {
  private ring: Array<EventEntry | undefined>;
  /** The listed entry of each key. */
  private readonly byKey = new Map<string, EventEntry>();
  private head = 0;
  private count = 0;
  private seq = 0;
  private total = 0;
  private readonly changeEmitter = new Emitter<void>();
  /** Fired after each add or clear; listeners should coalesce (a burst fires once per event). */
  readonly onDidChange = this.changeEmitter.event;

  constructor(private cap = 500) {
    this.ring = new Array(cap);
  }

  get capacity(): number {
    return this.cap;
  }

  get size(): number {
    return this.count;
  }

  /** Entries ever added (dropped ones included). */
  get received(): number {
    return this.total;
  }

  /** Adds the event if it is listed; returns its entry. */
  add(event: EventEnvelope): EventEntry | undefined {
    const classified = classifyEvent(event);
    if (!classified) return undefined;
    const previous = this.byKey.get(classified.key);
    const entry: EventEntry = {
      seq: ++this.seq,
      eventId: event.eventId,
      type: event.type,
      timestamp: event.timestamp,
      ...classified,
      count: (previous?.count ?? 0) + 1,
    };
    if (previous) this.remove(previous);
    this.byKey.set(entry.key, entry);
    const slot = (this.head + this.count) % this.cap;
    if (this.count < this.cap) this.count++;
    else {
      const oldest = this.ring[slot];
      if (oldest && this.byKey.get(oldest.key) === oldest) this.byKey.delete(oldest.key);
      this.head = (this.head + 1) % this.cap;
    }
    this.ring[slot] = entry;
    this.total++;
    this.changeEmitter.fire();
    return entry;
  }

  /** Newest first, through the filter, at most `limit`. */
  list(filter: EventsFilter = {}, limit = this.cap): EventEntry[] {
    const text = filter.text?.trim().toLowerCase() ?? "";
    const categories = filter.categories?.length ? new Set(filter.categories) : undefined;
    const min = filter.minSeverity ? RANK[filter.minSeverity] : 0;
    const out: EventEntry[] = [];
    for (let i = this.count - 1; i >= 0 && out.length < limit; i--) {
      const e = this.ring[(this.head + i) % this.cap]!;
      if (categories && !categories.has(e.category)) continue;
      if (RANK[e.severity] < min) continue;
      if (text && !`${e.title}\n${e.detail}\n${e.type}\n${e.session ?? ""}`.toLowerCase().includes(text))
        continue;
      out.push(e);
    }
    return out;
  }

  /** Changes the capacity, keeping the newest entries. */
  resize(capacity: number): void {
    const cap = Math.max(1, Math.floor(capacity));
    if (cap === this.cap) return;
    const listed = this.list();
    const keep = listed.slice(0, cap).reverse();
    for (const e of listed.slice(cap)) this.byKey.delete(e.key);
    this.cap = cap;
    this.ring = new Array(cap);
    keep.forEach((e, i) => {
      this.ring[i] = e;
    });
    this.head = 0;
    this.count = keep.length;
    this.changeEmitter.fire();
  }

  clear(): void {
    this.ring = new Array(this.cap);
    this.byKey.clear();
    this.head = 0;
    this.count = 0;
    this.changeEmitter.fire();
  }

  /** Takes an entry out of the ring, closing the gap (O(capacity); only repeats do this). */
  private remove(entry: EventEntry): void {
    let i = 0;
    while (i < this.count && this.ring[(this.head + i) % this.cap] !== entry) i++;
    if (i === this.count) return;
    for (let j = i; j < this.count - 1; j++)
      this.ring[(this.head + j) % this.cap] = this.ring[(this.head + j + 1) % this.cap];
    this.ring[(this.head + this.count - 1) % this.cap] = undefined;
    this.count--;
  }

  dispose(): void {
    this.changeEmitter.dispose();
  }
}
