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
