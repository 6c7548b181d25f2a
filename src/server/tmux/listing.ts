// What tmux says of its sessions, windows, panes and clients: one `-F` format per kind and the parser of its
// rows, shared by every reader (the CLI adapter and the watchtower's queries, which run the same listings).
import type { PaneInfo, WindowInfo } from "../model/types.js";
import { TmuxError } from "./errors.js";
import { withoutViews } from "./viewSessions.js";

/** Field separator of every `-F` format: a byte no name, title or path holds. */
export const SEP = "\x1f";

export interface TmuxSession {
  name: string;
  windows: number;
  /** Every attached client, the watchtower's own included. */
  attached: number;
  /** Names of the attached clients (`client-<pid>` for control clients without a terminal). */
  attachedClients: string[];
  createdAt: number;
  activityAt: number;
  /** The session's `destroy-unattached` option: a monitor client attached to it would keep it alive. */
  destroyUnattached: boolean;
  /**
   * How often tmux redraws the status line of each client attached to the session, in ms (its `status-interval`
   * option; 0: never, no status line or no interval): each redraw wakes tmux (watchtower/statusTicks.ts).
   */
  statusTimerMs: number;
}

/** A window as tmux lists it: the model's facts, its pane count and when it last had output (epoch seconds). */
export interface TmuxWindow extends WindowInfo {
  panes: number;
  activityAt: number;
}

/** A pane as tmux lists it: the model's facts and what only a listing carries. */
export interface TmuxPane extends PaneInfo {
  windowActive: boolean;
  /** `window_activity`: when the pane's window last had output, in whole seconds (tmux keeps no finer time). */
  windowActivity: number;
  /** What moves when the pane's screen does: history size and bytes, cursor, alternate screen, dead. */
  fingerprint: string;
  /** `pane_pid`: the pane's first process, whose /proc entry names its terminal's foreground process group. */
  pid: number;
}

export interface TmuxClient {
  name: string;
  term: string;
  pid: number;
}

export const SESSION_FIELDS = [
  "session_name",
  "session_windows",
  "session_attached",
  "session_attached_list",
  "session_created",
  "session_activity",
  "destroy-unattached",
  "status",
  "status-interval",
];
export const WINDOW_FIELDS = [
  "session_name",
  "window_index",
  "window_name",
  "window_active",
  "window_panes",
  "window_layout",
  "window_activity",
];
export const PANE_FIELDS = [
  "session_name",
  "window_index",
  "window_active",
  "pane_index",
  "pane_id",
  "pane_title",
  "pane_active",
  "pane_tty",
  "pane_current_path",
  "pane_start_command",
  "pane_current_command",
  "window_activity",
  "history_size",
  "history_bytes",
  "cursor_x",
  "cursor_y",
  "alternate_on",
  "pane_dead",
  "pane_pid",
];
export const CLIENT_FIELDS = ["client_name", "client_termname", "client_pid"];

export const format = (fields: string[]) => fields.map((f) => `#{${f}}`).join(SEP);

export const unparsable = () =>
  new TmuxError("TMUX_COMMAND_FAILED", "tmux command failed: unparsable output");

/**
 * Rows of a `-F` listing. A line with too few fields (a title with a line break, say) is skipped, or with
 * `strict` fails the whole listing.
 */
export function rows(stdout: string, width: number, strict = false): string[][] {
  const out: string[][] = [];
  for (const line of stdout.split("\n")) {
    if (!line) continue;
    const cols = line.split(SEP);
    if (cols.length >= width) out.push(cols);
    else if (strict) throw unparsable();
  }
  return out;
}

export const int = (s: string | undefined) => {
  const n = Number.parseInt(s ?? "", 10);
  return Number.isFinite(n) ? n : 0;
};

export const sessionOf = (c: string[]): TmuxSession => ({
  name: c[0]!,
  windows: int(c[1]),
  attached: int(c[2]),
  attachedClients: c[3] ? c[3].split(",") : [],
  createdAt: int(c[4]),
  activityAt: int(c[5]),
  destroyUnattached: c[6] === "1" || c[6] === "on",
  statusTimerMs: c[7] === "off" ? 0 : int(c[8]) * 1000,
});

export const windowOf = (c: string[]): TmuxWindow => ({
  session: c[0]!,
  index: int(c[1]),
  name: c[2]!,
  active: c[3] === "1",
  panes: int(c[4]),
  layout: c[5]!,
  activityAt: int(c[6]),
});

export const paneOf = (c: string[]): TmuxPane => ({
  session: c[0]!,
  windowIndex: int(c[1]),
  windowActive: c[2] === "1",
  paneIndex: int(c[3]),
  paneId: c[4]!,
  title: c[5]!,
  active: c[6] === "1",
  tty: c[7]!,
  currentPath: c[8]!,
  startCommand: c[9]!,
  currentCommand: c[10]!,
  windowActivity: int(c[11]),
  fingerprint: c.slice(12, 18).join(" "),
  pid: int(c[18]),
});

export const clientOf = (c: string[]): TmuxClient => ({ name: c[0]!, term: c[1]!, pid: int(c[2]) });

// Sessions, windows and panes of terminal views are left out of every listing (./viewSessions.ts).
export const sessionRows = (out: string, strict?: boolean) =>
  withoutViews(rows(out, SESSION_FIELDS.length, strict)).map(sessionOf);
export const windowRows = (out: string, strict?: boolean) =>
  withoutViews(rows(out, WINDOW_FIELDS.length, strict)).map(windowOf);
export const paneRows = (out: string, strict?: boolean) =>
  withoutViews(rows(out, PANE_FIELDS.length, strict)).map(paneOf);
export const clientRows = (out: string, strict?: boolean) =>
  rows(out, CLIENT_FIELDS.length, strict).map(clientOf);
