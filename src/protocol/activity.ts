// Activity and unread wire shapes (spec §3.4–§3.5, §1.4–§1.5): patches carried by events, seen and presence.
import type { Pane, Window } from "./api.js";

/** Full per-session replacement of the session's projection (§3.4). */
export interface SessionPatch {
  name: string;
  attached: number;
  windows: number;
  panes: number;
  /** RFC 3339, or "" when unknown. */
  activityAt: string;
  lastContent: string;
  unreadWindows: number;
  unreadPanes: number;
  rev: number;
}

/** Full per-session replacement of the inspector (windows and panes) of one session (§3.4). */
export interface InspectorPatch {
  session: string;
  windows: Window[];
  panes: Pane[];
}

export type SeenScope = "pane" | "window" | "session";

/** What a client asks to mark as seen, after parsing (§3.5). Validation happens in the tracker. */
export interface SeenRequest {
  session: string;
  /** Raw scope as sent; trimmed and lower-cased by the tracker. */
  scope: string;
  /** -1 when absent on HTTP; the WS message decodes a missing value as 0 (§3.5). */
  windowIndex: number;
  paneId: string;
}

export interface SeenResult {
  session: string;
  scope: string;
  acked: boolean;
  globalRev: number;
  sessionPatches?: SessionPatch[];
  inspectorPatches?: InspectorPatch[];
  /** Set on a validation or store failure; then acked is false, globalRev 0 and there are no patches. */
  error?: string;
}

/** A terminal's presence (§1.4, §3.5); the server keeps it for 30 s. */
export interface PresenceInput {
  terminalId: string;
  session: string;
  windowIndex: number;
  paneId: string;
  visible: boolean;
  focused: boolean;
}

export interface PresenceResponse {
  accepted: true;
  /** RFC 3339: now + 30 s. */
  expiresAt: string;
}

/** The HTTP seen answer: the ack without requestId, paneId and windowIndex (§3.5). */
export interface SeenResponse {
  session: string;
  scope: string;
  acked: boolean;
  globalRev: number;
  sessionPatches?: SessionPatch[];
  inspectorPatches?: InspectorPatch[];
}

/** One journal row of `GET /api/tmux/activity/delta` (§1.5). */
export interface ActivityChange {
  id: number;
  globalRev: number;
  /** `session` (the watchtower writes nothing else). */
  entityType: string;
  session: string;
  windowIndex: number;
  paneId: string;
  /** `activity`; this port also journals `delete` when a session vanishes. */
  changeKind: string;
  changedAt: string;
}

export interface ActivityDeltaResponse {
  since: number;
  limit: number;
  globalRev: number;
  /** More rows than `limit`, or `since` older than the kept journal (or newer than the server's revision). */
  overflow: boolean;
  changes: ActivityChange[];
  sessionPatches?: SessionPatch[];
  inspectorPatches?: InspectorPatch[];
}

/** `GET /api/tmux/activity/stats` (§1.5); `engine` is this port's addition (event-driven collects). */
export interface ActivityStatsResponse {
  globalRev: number;
  collectTotal: number;
  collectErrorsTotal: number;
  lastCollectAt: string;
  lastCollectDurationMs: number;
  lastCollectSessions: number;
  lastCollectChanged: number;
  lastCollectError: string;
  /** Raw strings of the wt_runtime keys. */
  runtime: Record<string, string>;
  engine: {
    mode: "scan" | "events" | "poll" | "disabled";
    /** Control clients watching sessions now. */
    monitors: number;
    /** Collects, full collects and pane captures since the server started; change notices received. */
    collects: number;
    fullCollects: number;
    captures: number;
    notices: number;
    /** `scan` mode: wake-ups of tmux recognised as a status line's timer, which ask for no collect. */
    statusTicks: number;
  };
}

/** One row of `GET /api/tmux/timeline` (§1.5). `metadata` is a JSON object. */
export interface TimelineEvent {
  id: number;
  session: string;
  windowIndex: number;
  paneId: string;
  eventType: string;
  severity: string;
  command: string;
  cwd: string;
  durationMs: number;
  summary: string;
  details: string;
  marker: string;
  metadata: Record<string, unknown>;
  createdAt: string;
}

export interface TimelineResponse {
  events: TimelineEvent[];
  hasMore: boolean;
}
