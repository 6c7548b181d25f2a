// What a restore does (spec §7.2), worked out from a snapshot before tmux is touched: the windows in index order
// with their panes and directories, the step count, the rename candidates, and what to type into each pane for
// each mode. Pure.
import type { PaneSnapshot, RestoreMode, SessionSnapshot, WindowSnapshot } from "../../protocol/recovery.js";
import { layoutSize } from "./layout.js";

export interface PlannedWindow {
  index: number;
  name: string;
  layout: string;
  /** Panes in pane-index order; never empty (a window always has a pane). */
  panes: PaneSnapshot[];
}

export interface RestorePlan {
  windows: PlannedWindow[];
  /** Window to select at the end, -1 for none. */
  activeWindow: number;
  /** The size of the first window's layout, so the new session starts at the size its layouts were taken at. */
  size: { width: number; height: number } | undefined;
  /** 1 (target resolved) + 2 per window (ready, restored) + 1 per pane: progress reaches it exactly. */
  totalSteps: number;
}

const blankPane = (windowIndex: number, paneIndex: number): PaneSnapshot => ({
  windowIndex,
  paneIndex,
  title: "",
  active: paneIndex === 0,
  currentPath: "",
  startCommand: "",
  currentCommand: "",
  lastContent: "",
});

export function planRestore(snapshot: SessionSnapshot): RestorePlan {
  const windows = [...snapshot.windows].sort((a, b) => a.index - b.index);
  const planned = windows.map((w: WindowSnapshot): PlannedWindow => {
    const panes = snapshot.panes
      .filter((p) => p.windowIndex === w.index)
      .sort((a, b) => a.paneIndex - b.paneIndex);
    // A snapshot that says the window had more panes than it lists (or none) still gets that many.
    const count = Math.max(1, panes.length, w.panes);
    while (panes.length < count) panes.push(blankPane(w.index, panes.length));
    return { index: w.index, name: w.name, layout: w.layout, panes };
  });
  const first = planned[0];
  return {
    windows: planned,
    activeWindow: snapshot.activeWindow,
    size: first ? layoutSize(first.layout) : undefined,
    totalSteps: 1 + 2 * planned.length + planned.reduce((n, w) => n + w.panes.length, 0),
  };
}

/** `<target>-restored-01` … `-99` (§7.2). */
export function renameCandidates(target: string): string[] {
  return Array.from({ length: 99 }, (_, i) => `${target}-restored-${String(i + 1).padStart(2, "0")}`);
}

const SHELLS = new Set([
  "sh",
  "bash",
  "zsh",
  "fish",
  "dash",
  "ksh",
  "mksh",
  "tcsh",
  "csh",
  "ash",
  "nu",
  "pwsh",
]);

/** Whether a pane command is just an interactive shell (the new pane already runs one). */
export function isShell(command: string): boolean {
  const first = command.trim().split(/\s+/)[0] ?? "";
  const base = first.replace(/^-/, "").split("/").pop() ?? "";
  return SHELLS.has(base);
}

/** tmux shows a pane's start command in double quotes (`"sleep 100"`); one matching pair is dropped. */
export function unquote(command: string): string {
  const c = command.trim();
  if (c.length >= 2 && (c[0] === '"' || c[0] === "'") && c.at(-1) === c[0]) return c.slice(1, -1).trim();
  return c;
}

/**
 * What to type into a restored pane: nothing in `safe`; the pane's start command (or, failing that, its current
 * command) in `confirm`, without Enter, so the user decides; the same followed by Enter in `full`. A command
 * that is only a shell is never typed.
 */
export function replayFor(
  pane: PaneSnapshot,
  mode: RestoreMode,
): { text: string; enter: boolean } | undefined {
  if (mode === "safe") return undefined;
  const command = unquote(pane.startCommand) || pane.currentCommand.trim();
  if (!command || isShell(command) || /[\r\n]/.test(command)) return undefined;
  return { text: command, enter: mode === "full" };
}
