// One session's projection step (spec §4.1 steps 3–7) as a pure function: what tmux shows now and what the store
// held, in; the rows to write, the timeline events and whether the session changed, out. No I/O, so the
// revision rules can be tested without tmux.
import type { PaneInfo, SessionInfo, WindowInfo } from "../model/types.js";
import type { PaneRuntimeRow } from "../store/paneRuntimeRepo.js";
import type { PaneRow, SessionRow, WindowRow } from "../store/projectionRepo.js";
import type { TimelineInsert } from "../store/timelineRepo.js";
import { commandLifecycle, paneCommand } from "./lifecycle.js";
import { findMarker, markerSummary } from "./markers.js";
import { normalizeTail, tailHash } from "./tail.js";

/** A session as a listing gives it; `attached` does not count the watchtower's own clients. */
export type LiveSession = SessionInfo;

/** A window as a listing gives it, within its session. */
export type LiveWindow = Omit<WindowInfo, "session">;

/** A pane as a listing gives it, within its session. */
export type LivePane = Omit<PaneInfo, "session">;

export interface ProjectInput {
  session: LiveSession;
  windows: LiveWindow[];
  panes: LivePane[];
  /**
   * Captured text per pane. A pane without an entry was not captured (or the capture failed): it keeps its
   * previous preview, hash and capture time.
   */
  captures: ReadonlyMap<string, string>;
  previous: {
    session: SessionRow | undefined;
    windows: WindowRow[];
    panes: PaneRow[];
    runtime: ReadonlyMap<string, PaneRuntimeRow>;
  };
  /** Panes a visible, focused terminal shows: their new output is read at once. */
  focused: ReadonlySet<string>;
  /** What a pane's first output (revision 0 → 1) is taken as (FirstSight below). */
  firstSight?: FirstSight;
  now: string;
}

/**
 * A pane's first output is not news by itself: output a pane had before this server first listed it is read
 * (`preexisting`), and its time is when tmux says its window last had output (`outputAt`, ISO), not when the
 * server first looked. A preexisting pane whose window had output after the first listing (`listedAt`) is news:
 * its first capture may come only then (captures follow window activity), and that output is unread.
 */
export interface FirstSight {
  preexisting: ReadonlySet<string>;
  listedAt: string;
  outputAt: ReadonlyMap<string, string>;
}

export interface ProjectResult {
  changed: boolean;
  session: SessionRow;
  /** Rows that are new or differ from the stored ones. */
  upsertWindows: WindowRow[];
  upsertPanes: PaneRow[];
  deleteWindows: number[];
  deletePanes: string[];
  upsertRuntime: PaneRuntimeRow[];
  timeline: TimelineInsert[];
}

const samePane = (a: PaneRow, b: PaneRow) =>
  a.session === b.session &&
  a.windowIndex === b.windowIndex &&
  a.paneIndex === b.paneIndex &&
  a.title === b.title &&
  a.active === b.active &&
  a.tty === b.tty &&
  a.currentPath === b.currentPath &&
  a.startCommand === b.startCommand &&
  a.currentCommand === b.currentCommand &&
  a.tailHash === b.tailHash &&
  a.tailPreview === b.tailPreview &&
  a.revision === b.revision &&
  a.seenRevision === b.seenRevision &&
  a.changedAt === b.changedAt;

export function projectSession(input: ProjectInput): ProjectResult {
  const { session: live, now, previous, focused } = input;
  const oldPanes = new Map(previous.panes.map((p) => [p.paneId, p]));
  const oldWindows = new Map(previous.windows.map((w) => [w.index, w]));
  const windowNames = new Map(input.windows.map((w) => [w.index, w.name]));
  const result: ProjectResult = {
    changed: false,
    session: undefined as unknown as SessionRow,
    upsertWindows: [],
    upsertPanes: [],
    deleteWindows: [],
    deletePanes: [],
    upsertRuntime: [],
    timeline: [],
  };
  let anyPaneChanged = false;
  const aggregates = new Map<number, { unread: number; latest: string }>();
  const prevSession = previous.session;
  let best = {
    preview: prevSession?.lastPreview ?? "",
    at: prevSession?.lastPreviewAt ?? "",
    paneId: prevSession?.lastPreviewPaneId ?? "",
  };

  for (const p of input.panes) {
    const old = oldPanes.get(p.paneId);
    const captured = input.captures.get(p.paneId);
    let tailPreview = old?.tailPreview ?? "";
    let hash = old?.tailHash ?? "";
    let capturedAt = old?.tailCapturedAt ?? "";
    if (captured !== undefined) {
      tailPreview = normalizeTail(captured);
      hash = tailHash(tailPreview);
      capturedAt = now;
    }
    let revision = old?.revision ?? 0;
    let seenRevision = old?.seenRevision ?? 0;
    let changedAt = old?.changedAt ?? "";
    let tailChanged = false;
    if (!old) {
      if (hash) {
        revision = 1;
        changedAt = now;
        tailChanged = true;
      }
    } else if (hash !== old.tailHash || tailPreview !== old.tailPreview) {
      revision++;
      changedAt = now;
      tailChanged = true;
    }
    if (tailChanged && (old?.revision ?? 0) === 0 && input.firstSight) {
      const at = input.firstSight.outputAt.get(p.paneId);
      if (at && at < now) changedAt = at;
      const quietSince = at === undefined || at < input.firstSight.listedAt;
      if (input.firstSight.preexisting.has(p.paneId) && quietSince) seenRevision = revision;
    }
    if (tailChanged && focused.has(p.paneId)) seenRevision = revision;

    const row: PaneRow = {
      paneId: p.paneId,
      session: live.name,
      windowIndex: p.windowIndex,
      paneIndex: p.paneIndex,
      title: p.title,
      active: p.active,
      tty: p.tty,
      currentPath: p.currentPath,
      startCommand: p.startCommand,
      currentCommand: p.currentCommand,
      tailHash: hash,
      tailPreview,
      tailCapturedAt: capturedAt,
      revision,
      seenRevision,
      changedAt,
    };
    const windowName = windowNames.get(p.windowIndex) ?? "";
    const metadata = (extra: Record<string, unknown>) => ({
      paneIndex: p.paneIndex,
      title: p.title || windowName,
      ...(p.title ? { paneTitle: p.title } : {}),
      ...(windowName ? { windowName } : {}),
      ...extra,
    });
    const command = paneCommand(p.currentCommand, p.startCommand);

    if (tailChanged && tailPreview) {
      const marker = findMarker(tailPreview);
      if (marker) {
        result.timeline.push({
          session: live.name,
          windowIndex: p.windowIndex,
          paneId: p.paneId,
          eventType: "output.marker",
          severity: marker.severity,
          command,
          cwd: p.currentPath,
          durationMs: 0,
          summary: markerSummary(tailPreview),
          details: tailPreview,
          marker: marker.marker,
          metadata: metadata({ revision }),
          createdAt: now,
        });
      }
    }

    const runtime = previous.runtime.get(p.paneId);
    const step = commandLifecycle(
      runtime && { command: runtime.command, startedAt: runtime.startedAt },
      command,
      now,
    );
    for (const e of step.events) {
      result.timeline.push({
        session: live.name,
        windowIndex: p.windowIndex,
        paneId: p.paneId,
        eventType: e.type,
        severity: "info",
        command: e.command,
        cwd: p.currentPath,
        durationMs: e.type === "command.finished" ? e.durationMs : 0,
        summary: `${e.type === "command.started" ? "command started" : "command finished"}: ${e.command}`,
        details: "",
        marker: "",
        metadata: metadata({}),
        createdAt: now,
      });
    }
    if (
      !runtime ||
      runtime.command !== step.runtime.command ||
      runtime.startedAt !== step.runtime.startedAt ||
      runtime.session !== live.name ||
      runtime.windowIndex !== p.windowIndex
    ) {
      result.upsertRuntime.push({
        paneId: p.paneId,
        session: live.name,
        windowIndex: p.windowIndex,
        command: step.runtime.command,
        startedAt: step.runtime.startedAt,
      });
    }

    const agg = aggregates.get(p.windowIndex) ?? { unread: 0, latest: "" };
    if (revision > seenRevision) agg.unread++;
    if (changedAt > agg.latest) agg.latest = changedAt;
    aggregates.set(p.windowIndex, agg);

    if (tailPreview && changedAt && changedAt > best.at)
      best = { preview: tailPreview, at: changedAt, paneId: p.paneId };

    // A capture that found the same tail writes nothing (the stored capture time is that of the last change).
    if (!old || !samePane(old, row)) {
      anyPaneChanged = true;
      result.upsertPanes.push(row);
    }
  }

  const listed = new Set(input.panes.map((p) => p.paneId));
  for (const old of previous.panes) if (!listed.has(old.paneId)) result.deletePanes.push(old.paneId);
  if (result.deletePanes.length) anyPaneChanged = true;

  let anyWindowChanged = false;
  let unreadWindows = 0;
  let unreadPanes = 0;
  let latestWindow = "";
  for (const w of input.windows) {
    const old = oldWindows.get(w.index);
    const agg = aggregates.get(w.index) ?? { unread: 0, latest: "" };
    const activityAt = agg.latest || old?.activityAt || live.activityAt;
    const row: WindowRow = {
      session: live.name,
      index: w.index,
      name: w.name,
      active: w.active,
      layout: w.layout,
      activityAt,
      unreadPanes: agg.unread,
      hasUnread: agg.unread > 0,
      rev: old?.rev ?? 0,
    };
    const differs =
      !old ||
      old.name !== row.name ||
      old.active !== row.active ||
      old.layout !== row.layout ||
      old.unreadPanes !== row.unreadPanes ||
      old.hasUnread !== row.hasUnread ||
      old.activityAt !== row.activityAt;
    if (differs) {
      row.rev = Math.max(1, (old?.rev ?? 0) + 1);
      anyWindowChanged = true;
      result.upsertWindows.push(row);
    }
    if (row.hasUnread) unreadWindows++;
    unreadPanes += row.unreadPanes;
    if (activityAt > latestWindow) latestWindow = activityAt;
  }
  const listedWindows = new Set(input.windows.map((w) => w.index));
  for (const old of previous.windows) if (!listedWindows.has(old.index)) result.deleteWindows.push(old.index);
  if (result.deleteWindows.length) anyWindowChanged = true;

  const session: SessionRow = {
    name: live.name,
    attached: live.attached,
    windows: live.windows,
    panes: input.panes.length,
    createdAt: live.createdAt,
    // The newest window activity; tmux's session_activity only while no window has any (it also moves when a
    // client attaches, the watchtower's own included, which is not activity).
    activityAt: latestWindow || live.activityAt,
    lastPreview: best.preview,
    lastPreviewAt: best.at,
    lastPreviewPaneId: best.paneId,
    unreadWindows,
    unreadPanes,
    rev: prevSession?.rev ?? 0,
  };
  const sessionDiffers =
    !prevSession ||
    prevSession.attached !== session.attached ||
    prevSession.windows !== session.windows ||
    prevSession.panes !== session.panes ||
    prevSession.createdAt !== session.createdAt ||
    prevSession.activityAt !== session.activityAt ||
    prevSession.lastPreview !== session.lastPreview ||
    prevSession.lastPreviewAt !== session.lastPreviewAt ||
    prevSession.lastPreviewPaneId !== session.lastPreviewPaneId ||
    prevSession.unreadWindows !== session.unreadWindows ||
    prevSession.unreadPanes !== session.unreadPanes;
  result.changed = sessionDiffers || anyPaneChanged || anyWindowChanged;
  if (result.changed) session.rev = Math.max(1, session.rev + 1);
  result.session = session;
  return result;
}
