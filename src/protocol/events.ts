// The /ws/events envelope (spec §3.2), the event catalogue's payloads (§3.3) as they land, and the
// connection-level messages of this port (`events.reconcile`, see docs/decisions/0003-events.md).
import type { InspectorPatch, SessionPatch } from "./activity.js";
import { GUARDRAIL_BLOCKED_EVENT, type GuardrailBlockedPayload } from "./guardrails.js";
import {
  type OpsAlertsUpdatedPayload,
  OpsEventType,
  type OpsMetricsUpdatedPayload,
  type OpsOverviewUpdatedPayload,
  type OpsServicesUpdatedPayload,
  type OpsTimelineUpdatedPayload,
} from "./ops.js";
import { type JobUpdatedPayload, OpsRunbookEventType, type ScheduleUpdatedPayload } from "./opsRunbooks.js";
import { RECORDING_UPDATED_EVENT, type RecordingUpdatedPayload } from "./recording.js";
import { RecoveryEventType, type RecoveryJobPayload, type RecoveryOverviewPayload } from "./recovery.js";

export interface EventEnvelope<P = unknown> {
  /** Process-wide, monotonic, starting at 1; 0 for connection-level messages (`events.ready`, `events.reconcile`). */
  eventId: number;
  type: string;
  /** RFC 3339, seconds, UTC. */
  timestamp: string;
  payload?: P;
}

/** RFC 3339 with second precision in UTC, as Go's time.RFC3339 prints it. */
export function rfc3339Seconds(date: Date = new Date()): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** Every event type of /ws/events (the ops, runbook and recovery names are their modules' constants). */
export const EventType = {
  Ready: "events.ready",
  Reconcile: "events.reconcile",
  SessionsUpdated: "tmux.sessions.updated",
  InspectorUpdated: "tmux.inspector.updated",
  ActivityUpdated: "tmux.activity.updated",
  TimelineUpdated: "tmux.timeline.updated",
  GuardrailBlocked: GUARDRAIL_BLOCKED_EVENT,
  RecordingUpdated: RECORDING_UPDATED_EVENT,
  RecoveryOverviewUpdated: RecoveryEventType.Overview,
  RecoveryJobUpdated: RecoveryEventType.Job,
  OpsJobUpdated: OpsRunbookEventType.JobUpdated,
  OpsScheduleUpdated: OpsRunbookEventType.ScheduleUpdated,
  OpsOverviewUpdated: OpsEventType.OverviewUpdated,
  OpsServicesUpdated: OpsEventType.ServicesUpdated,
  OpsAlertsUpdated: OpsEventType.AlertsUpdated,
  OpsTimelineUpdated: OpsEventType.TimelineUpdated,
  OpsMetricsUpdated: OpsEventType.MetricsUpdated,
} as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

/** The first message on every connection; not published through the hub, so its eventId is 0 (§3.1). */
export interface ReadyPayload {
  message: "subscribed";
}

/**
 * Why the client must reconcile through `GET /api/tmux/activity/delta` (§3.6) instead of trusting the stream:
 * - `evicted`: `?since=` is older than the server's ring of recent events, so some events cannot be replayed;
 * - `restarted`: `?since=` is ahead of the server's newest eventId (ids restart at 1 when the server restarts);
 * - `overflow`: this connection fell behind, its bounded queue filled and `dropped` events were not sent.
 */
export type ReconcileReason = "evicted" | "restarted" | "overflow";

/**
 * Sent with eventId 0 (clients that only advance `lastEventId` are not disturbed). The client has every event
 * up to `since`; it should reconcile through delta, then continue gap detection from `lastEventId`: the next
 * event on this connection has a larger id.
 */
export interface ReconcilePayload {
  reason: ReconcileReason;
  since: number;
  lastEventId: number;
  /** Events not sent to this connection (`overflow` only). */
  dropped?: number;
}

/** `tmux.sessions.updated` from the HTTP mutations of §1.2–§1.3. */
export type SessionMutationPayload =
  | { session: string; action: "create" | "icon" | "delete" | "window-meta" | "window-count" | "pane-count" }
  | { session: string; newName: string; action: "rename" };

/** `tmux.sessions.updated` from a watchtower collect (§4.1 step 11). */
export interface SessionsActivityPayload {
  action: "activity";
  sessions: string[];
  globalRev: number;
  sessionPatches: SessionPatch[];
  inspectorPatches: InspectorPatch[];
}

/** `tmux.sessions.updated` after an acked seen (§3.5). */
export interface SessionsSeenPayload {
  session: string;
  action: "seen";
  scope: string;
  globalRev: number;
  sessionPatches?: SessionPatch[];
  inspectorPatches?: InspectorPatch[];
}

/** `tmux.sessions.updated` from recovery (§3.3): the live set changed, or a restore job succeeded. */
export type SessionsRecoveryPayload =
  | { changedSessions: number; liveCount: number; action: "live-set" }
  | { source: "recovery.restore"; target: string };

export type SessionsUpdatedPayload =
  | SessionMutationPayload
  | SessionsActivityPayload
  | SessionsSeenPayload
  | SessionsRecoveryPayload;

/** `tmux.inspector.updated` (§3.3): what changed in one session's windows and panes. */
export type InspectorUpdatedPayload =
  | { session: string; action: "seen"; scope: string }
  | { session: string; action: "select-window" | "rename-window" | "kill-window"; index: number }
  | { session: string; action: "select-pane" | "rename-pane" | "kill-pane"; paneId: string }
  | { session: string; action: "new-window"; index: number; paneId: string }
  | {
      session: string;
      action: "split-pane";
      paneId: string;
      createdId: string;
      direction: "vertical" | "horizontal";
    };

/** `tmux.activity.updated` (§4.1 step 11), right after the matching `tmux.sessions.updated`. */
export interface ActivityUpdatedPayload {
  globalRev: number;
  sessions: string[];
  sessionPatches: SessionPatch[];
  inspectorPatches: InspectorPatch[];
}

/** `tmux.timeline.updated`: sessions (sorted) that got new timeline rows. */
export interface TimelineUpdatedPayload {
  sessions: string[];
}

/** Payload of each event type (`satisfies` below keeps it and `EventType` the same list). */
export interface EventPayloadMap {
  "events.ready": ReadyPayload;
  "events.reconcile": ReconcilePayload;
  "tmux.sessions.updated": SessionsUpdatedPayload;
  "tmux.inspector.updated": InspectorUpdatedPayload;
  "tmux.activity.updated": ActivityUpdatedPayload;
  "tmux.timeline.updated": TimelineUpdatedPayload;
  "tmux.guardrail.blocked": GuardrailBlockedPayload;
  "recording.updated": RecordingUpdatedPayload;
  "ops.job.updated": JobUpdatedPayload;
  "ops.schedule.updated": ScheduleUpdatedPayload;
  "ops.overview.updated": OpsOverviewUpdatedPayload;
  "ops.services.updated": OpsServicesUpdatedPayload;
  "ops.alerts.updated": OpsAlertsUpdatedPayload;
  "ops.timeline.updated": OpsTimelineUpdatedPayload;
  "ops.metrics.updated": OpsMetricsUpdatedPayload;
  "recovery.overview.updated": RecoveryOverviewPayload;
  "recovery.job.updated": RecoveryJobPayload;
}

export type PayloadOf<T extends string> = T extends keyof EventPayloadMap ? EventPayloadMap[T] : unknown;

/** Compile-time check: every EventType has a payload type and every payload type is an EventType. */
export type EventCatalogueComplete = [EventType] extends [keyof EventPayloadMap]
  ? [keyof EventPayloadMap] extends [EventType]
    ? true
    : never
  : never;
const catalogueComplete: EventCatalogueComplete = true;
void catalogueComplete;

/** Connection-level message: eventId 0, never published through the hub, seen only by its own connection. */
export function connectionMessage<T extends "events.ready" | "events.reconcile">(
  type: T,
  payload: EventPayloadMap[T],
  date: Date = new Date(),
): EventEnvelope<EventPayloadMap[T]> {
  return { eventId: 0, type, timestamp: rfc3339Seconds(date), payload };
}
