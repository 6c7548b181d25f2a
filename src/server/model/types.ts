// The server's one model of tmux sessions, windows and panes. What tmux says of them (tmux/listing.ts) extends
// the facts here with what only a listing carries; the watchtower's projection rows (store/projectionRepo.ts) add
// the state it keeps; both map to the wire through ./wire.ts.

/** A session as tmux lists it. Times are ISO, "" when unknown. */
export interface SessionInfo {
  name: string;
  windows: number;
  /** Clients attached (the watchtower's projection leaves its own control clients out). */
  attached: number;
  createdAt: string;
  activityAt: string;
}

/** What the watchtower keeps of a session (spec §4.1): its unread counts and revision. */
export interface SessionState {
  unreadWindows: number;
  unreadPanes: number;
  rev: number;
}

/** What this server keeps of a session beyond tmux (the sessions table): its stable hash, last line and icon. */
export interface SessionMeta {
  hash: string;
  lastContent: string;
  icon: string;
}

/** A pane: where it is and what runs in it. */
export interface PaneInfo {
  session: string;
  windowIndex: number;
  paneIndex: number;
  paneId: string;
  title: string;
  active: boolean;
  tty: string;
  currentPath: string;
  startCommand: string;
  currentCommand: string;
}

/** What the watchtower keeps of a pane (spec §4.1): its tail and revisions. `changedAt` is ISO, "" for never. */
export interface PaneState {
  tailPreview: string;
  revision: number;
  seenRevision: number;
  changedAt: string;
}

/** A window of a session. */
export interface WindowInfo {
  session: string;
  index: number;
  name: string;
  active: boolean;
  layout: string;
}

/** What the watchtower keeps of a window: its panes' unread state and its revision. `activityAt` is ISO. */
export interface WindowState {
  activityAt: string;
  unreadPanes: number;
  hasUnread: boolean;
  rev: number;
}
