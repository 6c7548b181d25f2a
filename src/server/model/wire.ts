// The one mapping of the server's sessions, windows and panes (./types.ts) to the wire types of src/protocol: the
// GET objects of §1.2 and §1.3, from tmux (no watchtower state) or from the projection, and the patches of §3.4.
import type { SessionPatch } from "../../protocol/activity.js";
import type { Pane, Session, Window } from "../../protocol/api.js";
import { toRfc3339, toRfc3339OrZero } from "../watchtower/time.js";
import type {
  PaneInfo,
  PaneState,
  SessionInfo,
  SessionMeta,
  SessionState,
  WindowInfo,
  WindowState,
} from "./types.js";

/** `object`: a GET route's object, empty optional strings left out. `patch`: every key present (§3.4). */
export type WireForm = "object" | "patch";

/**
 * A pane and, when the watchtower projects it, its state. As an object, `changedAt` is always there (Go's zero
 * time if never); as a patch it is "" if never. Without state (the tmux path) revisions are zero and there is
 * no tail and no `changedAt`.
 */
export function toWirePane(p: PaneInfo, state: PaneState | undefined, form: WireForm = "object"): Pane {
  const all = form === "patch";
  return {
    session: p.session,
    windowIndex: p.windowIndex,
    paneIndex: p.paneIndex,
    paneId: p.paneId,
    title: p.title,
    active: p.active,
    tty: p.tty,
    ...(all || p.currentPath ? { currentPath: p.currentPath } : {}),
    ...(all || p.startCommand ? { startCommand: p.startCommand } : {}),
    ...(all || p.currentCommand ? { currentCommand: p.currentCommand } : {}),
    ...(state && (all || state.tailPreview) ? { tailPreview: state.tailPreview } : {}),
    revision: state?.revision ?? 0,
    seenRevision: state?.seenRevision ?? 0,
    hasUnread: state ? state.revision > state.seenRevision : false,
    ...(state ? { changedAt: all ? toRfc3339(state.changedAt) : toRfc3339OrZero(state.changedAt) } : {}),
  };
}

/**
 * A window with its pane count and, when the watchtower projects it, its state. As an object, `layout` and
 * `activityAt` are left out when empty; as a patch they are always there (`activityAt` "" if never).
 */
export function toWireWindow(
  w: WindowInfo,
  panes: number,
  state: WindowState | undefined,
  form: WireForm = "object",
): Window {
  const all = form === "patch";
  const activityAt = state ? toRfc3339(state.activityAt) : "";
  return {
    session: w.session,
    index: w.index,
    name: w.name,
    active: w.active,
    panes,
    ...(all || w.layout ? { layout: w.layout } : {}),
    unreadPanes: state?.unreadPanes ?? 0,
    hasUnread: state?.hasUnread ?? false,
    rev: state?.rev ?? 0,
    ...(all || activityAt ? { activityAt } : {}),
  };
}

/** Projected windows, each with the number of `panes` in it. */
export function toWireWindows(
  windows: Array<WindowInfo & WindowState>,
  panes: Array<Pick<PaneInfo, "windowIndex">>,
  form: WireForm = "object",
): Window[] {
  const counts = new Map<number, number>();
  for (const p of panes) counts.set(p.windowIndex, (counts.get(p.windowIndex) ?? 0) + 1);
  return windows.map((w) => toWireWindow(w, counts.get(w.index) ?? 0, w, form));
}

/**
 * A session object of §1.2 with its pane count, what the server keeps of it (`meta`, plus the command it
 * infers) and, when the watchtower projects it, its state. Times are RFC 3339 (Go's zero time when unknown).
 */
export function toWireSession(
  s: SessionInfo,
  panes: number,
  meta: SessionMeta & { command: string },
  state: SessionState | undefined,
): Session {
  return {
    name: s.name,
    windows: s.windows,
    panes,
    attached: s.attached,
    createdAt: toRfc3339OrZero(s.createdAt),
    activityAt: toRfc3339OrZero(s.activityAt),
    command: meta.command,
    hash: meta.hash,
    lastContent: meta.lastContent,
    icon: meta.icon,
    unreadWindows: state?.unreadWindows ?? 0,
    unreadPanes: state?.unreadPanes ?? 0,
    rev: state?.rev ?? 0,
  };
}

/** A projected session as the session patch of §3.4 (`activityAt` "" when unknown). */
export function toSessionPatch(
  s: SessionInfo & SessionState & { panes: number; lastPreview: string },
): SessionPatch {
  return {
    name: s.name,
    attached: s.attached,
    windows: s.windows,
    panes: s.panes,
    activityAt: toRfc3339(s.activityAt),
    lastContent: s.lastPreview,
    unreadWindows: s.unreadWindows,
    unreadPanes: s.unreadPanes,
    rev: s.rev,
  };
}
