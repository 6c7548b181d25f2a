// The server's one model of tmux windows and panes. What tmux says of them (tmux/listing.ts) extends the facts
// here with what only a listing carries; the watchtower's projection rows (store/projectionRepo.ts) add the state
// it keeps; both map to the wire through ./wire.ts.

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
