// The watchtower's reads of tmux (spec §4.1 steps 2–4): every session, window and pane in one call each, and
// pane captures. They run through any `TmuxRunner`: the CLI (`Tmux.run`, one process per call) or a
// control-mode client's command channel (no process at all).
import { TmuxError } from "./errors.js";

export type TmuxRunner = (args: string[], timeoutMs?: number) => Promise<string>;

const SEP = "\x1f";

export interface WatchSession {
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
}

export interface WatchWindow {
  session: string;
  index: number;
  name: string;
  active: boolean;
  layout: string;
}

export interface WatchPane {
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

const SESSION_FIELDS = [
  "session_name",
  "session_windows",
  "session_attached",
  "session_attached_list",
  "session_created",
  "session_activity",
  "destroy-unattached",
];
const WINDOW_FIELDS = ["session_name", "window_index", "window_name", "window_active", "window_layout"];
const PANE_FIELDS = [
  "session_name",
  "window_index",
  "pane_index",
  "pane_id",
  "pane_title",
  "pane_active",
  "pane_tty",
  "pane_current_path",
  "pane_start_command",
  "pane_current_command",
];

const format = (fields: string[]) => fields.map((f) => `#{${f}}`).join(SEP);

/** Rows of a `-F` listing; lines with too few fields (a title with a line break, say) are skipped. */
function rows(stdout: string, width: number): string[][] {
  const out: string[][] = [];
  for (const line of stdout.split("\n")) {
    if (!line) continue;
    const cols = line.split(SEP);
    if (cols.length >= width) out.push(cols);
  }
  return out;
}

const int = (s: string | undefined) => {
  const n = Number.parseInt(s ?? "", 10);
  return Number.isFinite(n) ? n : 0;
};

export async function watchSessions(run: TmuxRunner): Promise<WatchSession[]> {
  const out = await run(["list-sessions", "-F", format(SESSION_FIELDS)]);
  return rows(out, SESSION_FIELDS.length).map((c) => ({
    name: c[0]!,
    windows: int(c[1]),
    attached: int(c[2]),
    attachedClients: c[3] ? c[3].split(",") : [],
    createdAt: int(c[4]),
    activityAt: int(c[5]),
    destroyUnattached: c[6] === "1" || c[6] === "on",
  }));
}

export async function watchWindows(run: TmuxRunner): Promise<WatchWindow[]> {
  const out = await run(["list-windows", "-a", "-F", format(WINDOW_FIELDS)]);
  return rows(out, WINDOW_FIELDS.length).map((c) => ({
    session: c[0]!,
    index: int(c[1]),
    name: c[2]!,
    active: c[3] === "1",
    layout: c[4]!,
  }));
}

export async function watchPanes(run: TmuxRunner): Promise<WatchPane[]> {
  const out = await run(["list-panes", "-a", "-F", format(PANE_FIELDS)]);
  return rows(out, PANE_FIELDS.length).map((c) => ({
    session: c[0]!,
    windowIndex: int(c[1]),
    paneIndex: int(c[2]),
    paneId: c[3]!,
    title: c[4]!,
    active: c[5] === "1",
    tty: c[6]!,
    currentPath: c[7]!,
    startCommand: c[8]!,
    currentCommand: c[9]!,
  }));
}

/** Every client's name (`client-<pid>` for one without a terminal), TERM and process id. */
export async function watchClients(
  run: TmuxRunner,
): Promise<Array<{ name: string; term: string; pid: number }>> {
  const out = await run(["list-clients", "-F", format(["client_name", "client_termname", "client_pid"])]);
  return rows(out, 3).map((c) => ({ name: c[0]!, term: c[1]!, pid: int(c[2]) }));
}

/** The pane's last `lines` lines of history and its visible screen, as plain text. */
export function capturePane(
  run: TmuxRunner,
  paneId: string,
  lines: number,
  timeoutMs?: number,
): Promise<string> {
  if (!/^%\d+$/.test(paneId)) return Promise.reject(new TmuxError("PANE_NOT_FOUND", "pane not found"));
  return run(["capture-pane", "-p", "-t", paneId, "-S", String(-Math.abs(lines))], timeoutMs);
}

/** Whether a failure means "no tmux to ask" (spec §4.1 step 2: keep the projections, count it a success). */
export function isTmuxAbsent(error: unknown): boolean {
  return (
    error instanceof TmuxError &&
    (error.code === "TMUX_SERVER_NOT_RUNNING" || error.code === "TMUX_NOT_FOUND")
  );
}
