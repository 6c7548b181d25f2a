// Builds a session snapshot (spec §7.1 step 4) from what tmux or the watchtower projection shows, and its
// state hash. Pure: no tmux, no store.
import { createHash } from "node:crypto";
import type { PaneSnapshot, SessionSnapshot, WindowSnapshot } from "../../protocol/recovery.js";
import type { PaneInfo, WindowInfo } from "../model/types.js";

/** A window of a snapshot: the model's window (model/types.ts) within its session. */
export type SnapshotWindow = Omit<WindowInfo, "session">;

/**
 * A pane of a snapshot: the model's pane within its session, without its tty (a restore makes new ones), with the
 * last content a restore can show. Not the projection's pane: only what §7.1 keeps.
 */
export type SnapshotPane = Omit<PaneInfo, "session" | "tty"> & { lastContent: string };

/** The snapshot's view of a window of the model. */
export const snapshotWindow = (w: WindowInfo): SnapshotWindow => ({
  index: w.index,
  name: w.name,
  active: w.active,
  layout: w.layout,
});

/** The snapshot's view of a pane of the model, with its last content ("" when none is known). */
export const snapshotPane = (p: PaneInfo, lastContent: string): SnapshotPane => ({
  paneId: p.paneId,
  windowIndex: p.windowIndex,
  paneIndex: p.paneIndex,
  title: p.title,
  active: p.active,
  currentPath: p.currentPath,
  startCommand: p.startCommand,
  currentCommand: p.currentCommand,
  lastContent,
});

export interface SnapshotSource {
  sessionName: string;
  attached: number;
  windows: SnapshotWindow[];
  panes: SnapshotPane[];
}

/** Windows by index, panes by (window, pane); active window and pane as §7.1 says. */
export function buildSnapshot(source: SnapshotSource, bootId: string, capturedAt: string): SessionSnapshot {
  const windows = [...source.windows].sort((a, b) => a.index - b.index);
  const panes = [...source.panes].sort((a, b) => a.windowIndex - b.windowIndex || a.paneIndex - b.paneIndex);
  const counts = new Map<number, number>();
  for (const p of panes) counts.set(p.windowIndex, (counts.get(p.windowIndex) ?? 0) + 1);
  let activeWindow = windows.find((w) => w.active)?.index ?? -1;
  // The active pane of the active window; any active pane when no window is marked active.
  const activePane =
    panes.find((p) => p.active && p.windowIndex === activeWindow) ?? panes.find((p) => p.active);
  if (activeWindow < 0 && activePane) activeWindow = activePane.windowIndex;
  return {
    sessionName: source.sessionName,
    capturedAt,
    bootId,
    attached: source.attached,
    activeWindow,
    activePaneId: activePane?.paneId ?? "",
    windows: windows.map(
      (w): WindowSnapshot => ({
        index: w.index,
        name: w.name,
        active: w.active,
        panes: counts.get(w.index) ?? 0,
        layout: w.layout,
      }),
    ),
    // The stored pane is the source's without its id (tmux gives new ids on a restore).
    panes: panes.map(({ paneId: _paneId, ...pane }): PaneSnapshot => pane),
  };
}

/**
 * The state hash (§7.1): hex of the first 8 bytes of SHA-256 over what a restore recreates. It leaves out
 * capturedAt, bootId, the windows' active flags and the panes' content, so a snapshot is stored only when the
 * shape changes; the layout is in (a resize is a new snapshot). Unlike the seed, the attached count is out too: a
 * client attaching or detaching changes nothing a restore uses, would fill the 300 kept snapshots with noise, and
 * is counted differently by the watchtower (without Sentinel's own clients) and by tmux.
 */
export function stateHash(s: SessionSnapshot): string {
  const shape = {
    SessionName: s.sessionName,
    ActiveWindow: s.activeWindow,
    ActivePaneID: s.activePaneId,
    Windows: s.windows.map((w) => ({ Index: w.index, Name: w.name, Panes: w.panes, Layout: w.layout })),
    Panes: s.panes.map((p) => ({
      WindowIndex: p.windowIndex,
      PaneIndex: p.paneIndex,
      Title: p.title,
      CurrentPath: p.currentPath,
      StartCommand: p.startCommand,
      CurrentCommand: p.currentCommand,
    })),
  };
  return createHash("sha256").update(JSON.stringify(shape)).digest("hex").slice(0, 16);
}
