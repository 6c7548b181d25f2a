// Response shapes of the tmux API (spec §1.1–§1.3), declared once for server and clients; the request bodies'
// schemas are in schemas/api.ts.

export interface MetaResponse {
  tokenRequired: boolean;
  defaultCwd: string;
  version: string;
  /**
   * This port's addition: which auth mode is on. `token` unless the user explicitly set `auth = "none"`
   * (loopback only); `tokenRequired` is `auth === "token"`.
   */
  auth: "token" | "none";
  /**
   * This port's addition: present when this server's start could not open its database (corrupt, or emptied to
   * 0 bytes), kept the old file aside and started with a new, empty one; absent once its alert is acknowledged
   * (or resolved) and after the next start.
   */
  storeRecovery?: StoreRecovery;
}

/** What the store did at start with a database file it could not use (GET /api/meta `storeRecovery`). */
export interface StoreRecovery {
  /** When the file was kept aside (RFC 3339, milliseconds). */
  at: string;
  /** Why it could not be used, e.g. `the database file was empty (0 bytes)`, `file is not a database`. */
  reason: string;
  /** The database path (a new, empty store is there now). */
  path: string;
  /** Where the old file is, with its original bytes: `<path>.corrupt-<time>`. */
  keptAs: string;
  /** Its size when it was kept aside. */
  bytes: number;
  /** The ops alert raised for it (GET /api/ops/alerts; ack it to clear this field). */
  alertId?: number;
}

export interface DirsResponse {
  dirs: string[];
}

/** The "enriched session" of §1.2. */
export interface Session {
  name: string;
  windows: number;
  panes: number;
  attached: number;
  createdAt: string;
  activityAt: string;
  command: string;
  hash: string;
  lastContent: string;
  icon: string;
  unreadWindows: number;
  unreadPanes: number;
  rev: number;
}

export interface Window {
  session: string;
  index: number;
  name: string;
  active: boolean;
  panes: number;
  layout?: string;
  unreadPanes: number;
  hasUnread: boolean;
  rev: number;
  activityAt?: string;
}

export interface Pane {
  session: string;
  windowIndex: number;
  paneIndex: number;
  paneId: string;
  title: string;
  active: boolean;
  tty: string;
  currentPath?: string;
  startCommand?: string;
  currentCommand?: string;
  tailPreview?: string;
  revision: number;
  seenRevision: number;
  hasUnread: boolean;
  changedAt?: string;
}
