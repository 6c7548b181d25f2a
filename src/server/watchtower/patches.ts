// Projection rows as the wire shapes: session and inspector patches (spec §3.4) and the Window, Pane and Session
// objects of the GET routes (§1.2, §1.3).
import type { InspectorPatch, SessionPatch } from "../../protocol/activity.js";
import type { Pane, Session, Window } from "../../protocol/api.js";
import type { PaneRow, ProjectionRepo, SessionRow, WindowRow } from "../store/projectionRepo.js";
import { toRfc3339, toRfc3339OrZero } from "./time.js";

export function sessionPatch(s: SessionRow): SessionPatch {
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

const paneCounts = (panes: PaneRow[]) => {
  const counts = new Map<number, number>();
  for (const p of panes) counts.set(p.windowIndex, (counts.get(p.windowIndex) ?? 0) + 1);
  return counts;
};

/** WindowPatch: every key present, `activityAt` "" when zero (§3.4). */
function windowPatch(w: WindowRow, panes: number): Window {
  return {
    session: w.session,
    index: w.index,
    name: w.name,
    active: w.active,
    panes,
    layout: w.layout,
    unreadPanes: w.unreadPanes,
    hasUnread: w.hasUnread,
    rev: w.rev,
    activityAt: toRfc3339(w.activityAt),
  };
}

/** PanePatch: every key present, `changedAt` "" when zero (§3.4). */
function panePatch(p: PaneRow): Pane {
  return {
    session: p.session,
    windowIndex: p.windowIndex,
    paneIndex: p.paneIndex,
    paneId: p.paneId,
    title: p.title,
    active: p.active,
    tty: p.tty,
    currentPath: p.currentPath,
    startCommand: p.startCommand,
    currentCommand: p.currentCommand,
    tailPreview: p.tailPreview,
    revision: p.revision,
    seenRevision: p.seenRevision,
    hasUnread: p.revision > p.seenRevision,
    changedAt: toRfc3339(p.changedAt),
  };
}

export function inspectorPatch(session: string, windows: WindowRow[], panes: PaneRow[]): InspectorPatch {
  const counts = paneCounts(panes);
  return {
    session,
    windows: windows.map((w) => windowPatch(w, counts.get(w.index) ?? 0)),
    panes: panes.map(panePatch),
  };
}

/** The session and inspector patches of each named session that still has a projection, in the given order. */
export function patchesFor(
  projection: ProjectionRepo,
  sessions: Iterable<string>,
): { sessionPatches: SessionPatch[]; inspectorPatches: InspectorPatch[] } {
  const sessionPatches: SessionPatch[] = [];
  const inspectorPatches: InspectorPatch[] = [];
  for (const name of sessions) {
    const row = projection.session(name);
    if (!row) continue;
    sessionPatches.push(sessionPatch(row));
    inspectorPatches.push(inspectorPatch(name, projection.windows(name), projection.panes(name)));
  }
  return { sessionPatches, inspectorPatches };
}

/** The GET window object: `layout` and `activityAt` omitted when empty (§1.3). */
export function windowObject(w: WindowRow, panes: number): Window {
  const activityAt = toRfc3339(w.activityAt);
  return {
    session: w.session,
    index: w.index,
    name: w.name,
    active: w.active,
    panes,
    ...(w.layout ? { layout: w.layout } : {}),
    unreadPanes: w.unreadPanes,
    hasUnread: w.hasUnread,
    rev: w.rev,
    ...(activityAt ? { activityAt } : {}),
  };
}

export function windowObjects(windows: WindowRow[], panes: PaneRow[]): Window[] {
  const counts = paneCounts(panes);
  return windows.map((w) => windowObject(w, counts.get(w.index) ?? 0));
}

/** The GET pane object: optional strings omitted when empty, `changedAt` always there (zero time if never). */
export function paneObject(p: PaneRow): Pane {
  return {
    session: p.session,
    windowIndex: p.windowIndex,
    paneIndex: p.paneIndex,
    paneId: p.paneId,
    title: p.title,
    active: p.active,
    tty: p.tty,
    ...(p.currentPath ? { currentPath: p.currentPath } : {}),
    ...(p.startCommand ? { startCommand: p.startCommand } : {}),
    ...(p.currentCommand ? { currentCommand: p.currentCommand } : {}),
    ...(p.tailPreview ? { tailPreview: p.tailPreview } : {}),
    revision: p.revision,
    seenRevision: p.seenRevision,
    hasUnread: p.revision > p.seenRevision,
    changedAt: toRfc3339OrZero(p.changedAt),
  };
}

/** The enriched session of the projection path (§1.2), with the stored tmux creation time (not the quirk). */
export function sessionObject(
  s: SessionRow,
  meta: { hash: string; lastContent: string; icon: string } | undefined,
  hash: string,
): Session {
  return {
    name: s.name,
    windows: s.windows,
    panes: s.panes,
    attached: s.attached,
    createdAt: toRfc3339OrZero(s.createdAt),
    activityAt: toRfc3339OrZero(s.activityAt),
    command: "",
    hash: meta?.hash || hash,
    lastContent: s.lastPreview || meta?.lastContent || "",
    icon: meta?.icon ?? "",
    unreadWindows: s.unreadWindows,
    unreadPanes: s.unreadPanes,
    rev: s.rev,
  };
}
