// HTTP bodies and response shapes of the tmux API (spec §1.1–§1.3), declared once for server and clients.
// Body schemas only check shape (unknown fields, wrong types); the server's handlers check values so that
// each failure gets the spec's own message.
import { type Static, Type } from "typebox";

const body = <T extends Parameters<typeof Type.Object>[0]>(properties: T) =>
  Type.Object(properties, { additionalProperties: false });

export const CreateSessionBody = body({
  name: Type.Optional(Type.String()),
  cwd: Type.Optional(Type.String()),
});
export type CreateSessionBody = Static<typeof CreateSessionBody>;

export const RenameSessionBody = body({ newName: Type.Optional(Type.String()) });
export type RenameSessionBody = Static<typeof RenameSessionBody>;

export const SetIconBody = body({ icon: Type.Optional(Type.String()) });
export type SetIconBody = Static<typeof SetIconBody>;

export const WindowIndexBody = body({ index: Type.Optional(Type.Integer()) });
export type WindowIndexBody = Static<typeof WindowIndexBody>;

export const RenameWindowBody = body({
  index: Type.Optional(Type.Integer()),
  name: Type.Optional(Type.String()),
});
export type RenameWindowBody = Static<typeof RenameWindowBody>;

export const PaneIdBody = body({ paneId: Type.Optional(Type.String()) });
export type PaneIdBody = Static<typeof PaneIdBody>;

export const RenamePaneBody = body({
  paneId: Type.Optional(Type.String()),
  title: Type.Optional(Type.String()),
});
export type RenamePaneBody = Static<typeof RenamePaneBody>;

export const SplitPaneBody = body({
  paneId: Type.Optional(Type.String()),
  direction: Type.Optional(Type.String()),
});
export type SplitPaneBody = Static<typeof SplitPaneBody>;

export const SessionParams = Type.Object({ session: Type.String() });
export type SessionParams = Static<typeof SessionParams>;

export interface MetaResponse {
  tokenRequired: boolean;
  defaultCwd: string;
  version: string;
  /**
   * This port's addition: which auth mode is on. `token` unless the user explicitly set `auth = "none"`
   * (loopback only); `tokenRequired` is `auth === "token"`.
   */
  auth: "token" | "none";
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
