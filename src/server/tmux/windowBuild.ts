// The tmux commands of recovery's window builds (`Tmux.buildWindow`, `Tmux.arrangeWindow`), each run in one tmux
// process, and the parsing of what the build prints. Pure: no tmux runs here.
import { sessionScopeTarget, windowTarget } from "./args.js";
import { int, SEP, unparsable } from "./listing.js";

export interface BuildWindowOptions {
  session: string;
  index: number;
  name?: string;
  cwds: string[];
  newSession?: { width?: number; height?: number };
}

export interface BuiltWindow {
  session: string;
  windowIndex: number;
  paneIds: string[];
}

export interface ArrangeWindowOptions {
  session: string;
  index: number;
  layout?: string;
  titles?: Array<{ paneId: string; title: string }>;
  typed?: Array<{ paneId: string; text: string; enter: boolean }>;
  activePane?: string;
  select?: boolean;
}

/**
 * The commands that create a window with one pane per entry of `cwds`: the first window of a new session when
 * `newSession` is given, otherwise a window at exactly `index`. Panes are split off the first one, evened out
 * (`tiled`) after each split so that many fit.
 */
export function buildWindowCommands(options: BuildWindowOptions): string[][] {
  const { session, cwds } = options;
  const cwd = (path: string | undefined) => (path ? ["-c", path] : []);
  const name = options.name ? ["-n", options.name] : [];
  const commands: string[][] = [];
  let target: string;
  if (options.newSession) {
    const { width, height } = options.newSession;
    const size = width && height ? ["-x", String(width), "-y", String(height)] : [];
    const fmt = `#{session_name}${SEP}#{window_index}${SEP}#{pane_id}`;
    commands.push(["new-session", "-d", "-P", "-F", fmt, "-s", session, ...name, ...size, ...cwd(cwds[0])]);
    // The new session's only window, whatever index base-index gave it.
    target = sessionScopeTarget(session);
  } else {
    const fmt = `${session}${SEP}#{window_index}${SEP}#{pane_id}`;
    target = windowTarget(session, options.index);
    commands.push(["new-window", "-d", "-P", "-F", fmt, "-t", target, ...name, ...cwd(cwds[0])]);
  }
  // Each split goes right after the first pane: split in reverse order, so pane N ends up with cwds[N].
  for (let n = cwds.length - 1; n >= 1; n--) {
    const flag = n % 2 ? "-h" : "-v";
    commands.push(["split-window", "-d", "-P", "-F", "#{pane_id}", "-t", target, flag, ...cwd(cwds[n])]);
    commands.push(["select-layout", "-t", target, "tiled"]);
  }
  return commands;
}

/**
 * What the build printed: the session name tmux really used (it rewrites `.` and `:`), the window index and the
 * pane ids in pane order, the Nth started in `cwds[N]`.
 */
export function parseBuiltWindow(stdout: string, paneCount: number): BuiltWindow {
  const [first, ...splits] = stdout.split("\n").filter(Boolean);
  const head = first?.split(SEP);
  if (!head || head.length < 3 || splits.length !== paneCount - 1) throw unparsable();
  return { session: head[0]!, windowIndex: int(head[1]), paneIds: [head[2]!, ...splits.reverse()] };
}

/**
 * The commands that arrange a built window: `layout` (its own command, which may fail on its own) and the
 * rest: pane titles, text typed into panes (literally, then Enter when asked), the active pane, and selecting
 * the window.
 */
export function arrangeWindowCommands(options: ArrangeWindowOptions): {
  layout?: string[];
  rest: string[][];
} {
  const target = windowTarget(options.session, options.index);
  const rest: string[][] = [];
  for (const t of options.titles ?? []) rest.push(["select-pane", "-t", t.paneId, "-T", t.title]);
  for (const t of options.typed ?? []) {
    // `--`: text that starts with "-" (a login shell's "-bash") is typed, not read as flags.
    rest.push(["send-keys", "-t", t.paneId, "-l", "--", t.text]);
    if (t.enter) rest.push(["send-keys", "-t", t.paneId, "Enter"]);
  }
  if (options.activePane) rest.push(["select-pane", "-t", options.activePane]);
  if (options.select) rest.push(["select-window", "-t", target]);
  return { ...(options.layout ? { layout: ["select-layout", "-t", target, options.layout] } : {}), rest };
}
