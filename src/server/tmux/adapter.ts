// The only module that runs tmux. Every call goes through execFile (never a shell), against the configured
// socket, with exact targets: `=name` for sessions, `=name:index` for windows and `%N` for panes. A value from a
// user that tmux reads as a positional argument (a new name, typed text) comes after `--`, so tmux never reads
// it as flags (`rename-window -t =s:0 -kill-server`); values of flags (`-n`, `-T`, `-c`) are never flags.
import { execFile } from "node:child_process";
import { ControlClient } from "./control.js";
import { TmuxError, tmuxErrorFromStderr, tmuxNotFound } from "./errors.js";
import { type ViewTarget, withoutViews } from "./viewSessions.js";

const SEP = "\x1f";

export interface TmuxOptions {
  /** Path of the tmux server socket (`tmux -S`); undefined uses the user's default server. */
  socketPath?: string;
  binary?: string;
  timeoutMs?: number;
}

export interface TmuxSessionInfo {
  name: string;
  windows: number;
  attached: number;
  createdAt: number;
  activityAt: number;
}

export interface TmuxWindowInfo {
  session: string;
  index: number;
  name: string;
  active: boolean;
  panes: number;
  layout: string;
  activityAt: number;
}

export interface TmuxPaneInfo {
  session: string;
  windowIndex: number;
  windowActive: boolean;
  paneIndex: number;
  paneId: string;
  title: string;
  active: boolean;
  tty: string;
  currentPath: string;
  startCommand: string;
  currentCommand: string;
}

export interface TmuxServerListing {
  /** `<pid>:<start_time>` of the server, "" when none runs. */
  server: string;
  sessions: Array<{ name: string; attached: number; createdAt: number; windows: number }>;
}

export type SplitDirection = "vertical" | "horizontal";

const sessionFormat = [
  "session_name",
  "session_windows",
  "session_attached",
  "session_created",
  "session_activity",
];
const windowFormat = [
  "session_name",
  "window_index",
  "window_name",
  "window_active",
  "window_panes",
  "window_layout",
  "window_activity",
];
const paneFormat = [
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
];

const format = (fields: string[]) => fields.map((f) => `#{${f}}`).join(SEP);

function rows(stdout: string, width: number): string[][] {
  const out: string[][] = [];
  for (const line of stdout.split("\n")) {
    if (!line) continue;
    const cols = line.split(SEP);
    if (cols.length < width)
      throw new TmuxError("TMUX_COMMAND_FAILED", "tmux command failed: unparsable output");
    out.push(cols);
  }
  return out;
}

const int = (s: string | undefined) => {
  const n = Number.parseInt(s ?? "", 10);
  return Number.isFinite(n) ? n : 0;
};

/** Environment for tmux children: never inherit the caller's tmux client identity. */
export function tmuxEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env = { ...base };
  delete env.TMUX;
  delete env.TMUX_PANE;
  return env;
}

/**
 * tmux reads an argument that ends in `;` as the end of a command (and drops the `;`): `rename-window x "a;"`
 * names it "a". Such an argument is passed as `…\;`, which tmux reads as a literal `;`; a lone `;` still
 * separates commands (`runSequence`).
 */
export function literalArg(arg: string): string {
  return arg.length > 1 && arg.endsWith(";") && !arg.endsWith("\\;") ? `${arg.slice(0, -1)}\\;` : arg;
}

export const sessionTarget = (name: string) => `=${name}`;
export const windowTarget = (session: string, index: number) => `=${session}:${index}`;
/**
 * `list-panes -s` reads its target as a window: `=name` alone falls back to a prefix match of session names
 * (tmux 3.3a), while `=name:` is exact.
 */
export const sessionScopeTarget = (name: string) => `=${name}:`;

export class Tmux {
  readonly binary: string;
  readonly socketPath: string | undefined;
  private readonly timeoutMs: number;
  private readonly env = tmuxEnv();

  constructor(options: TmuxOptions = {}) {
    this.binary = options.binary ?? "tmux";
    this.socketPath = options.socketPath;
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  /** Global arguments that select the server: put them before every tmux subcommand. */
  serverArgs(): string[] {
    return this.socketPath ? ["-S", this.socketPath] : [];
  }

  /** argv (after the binary) of a `tmux attach` client for a PTY; `flags` are client flags (`-f`). */
  attachArgs(session: string, flags: string[] = []): string[] {
    const f = flags.length ? ["-f", flags.join(",")] : [];
    return [...this.serverArgs(), "attach-session", ...f, "-t", sessionTarget(session)];
  }

  /**
   * argv (after the binary) of a tmux client for a PTY that creates the view session `view`, grouped with
   * `session`, and is attached to it at once (one process: the view is never without its client), then makes it
   * go away with its client (`destroy-unattached`), and shows the target in it: the window is selected in the view
   * only; a pane is the client's own active pane (`-f active-pane`), so the window's active pane stays as it is
   * for everyone else. `mouse` turns tmux mouse support on in the view (its own option, not the user's session's).
   */
  viewArgs(options: {
    session: string;
    view: string;
    target: ViewTarget;
    flags?: string[];
    mouse: boolean;
  }): string[] {
    const { view, target } = options;
    const flags = [...(options.flags ?? []), ...("pane" in target ? ["active-pane"] : [])];
    const f = flags.length ? ["-f", flags.join(",")] : [];
    const commands = [
      ["new-session", ...f, "-t", sessionTarget(options.session), "-s", view],
      ["set-option", "-t", sessionScopeTarget(view), "destroy-unattached", "on"],
      ...(options.mouse ? [["set-option", "-t", sessionScopeTarget(view), "mouse", "on"]] : []),
      ["select-window", "-t", windowTarget(view, target.window)],
      ...("pane" in target
        ? [["select-pane", "-t", `${windowTarget(view, target.window)}.${target.pane}`]]
        : []),
    ];
    return [...this.serverArgs(), ...commands.flatMap((c, i) => (i ? [";", ...c] : c))];
  }

  childEnv(): NodeJS.ProcessEnv {
    return this.env;
  }

  /**
   * A control-mode client attached to the session (`tmux -C attach-session -f flags -t =name`); `term` is its
   * TERM, which tmux shows as `client_termname` (a way to recognise the client in `list-clients`).
   */
  openControl(session: string, flags: string[], term?: string, commandTimeoutMs?: number): ControlClient {
    return new ControlClient({
      binary: this.binary,
      serverArgs: this.serverArgs(),
      env: controlEnv(this.env, term),
      session,
      flags,
      ...(commandTimeoutMs !== undefined ? { commandTimeoutMs } : {}),
    });
  }

  run(args: string[], timeoutMs = this.timeoutMs): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        this.binary,
        [...this.serverArgs(), ...args.map(literalArg)],
        { env: this.env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, encoding: "utf8" },
        (error, stdout, stderr) => {
          if (!error) return resolve(stdout);
          const err = error as NodeJS.ErrnoException & { killed?: boolean };
          if (err.code === "ENOENT") return reject(tmuxNotFound());
          if (err.killed) return reject(new TmuxError("TMUX_COMMAND_FAILED", "tmux command timed out"));
          reject(tmuxErrorFromStderr(stderr || err.message));
        },
      );
    });
  }

  async version(): Promise<string> {
    return (await this.run(["-V"])).trim();
  }

  /** Lists sessions; an absent tmux server means no sessions. */
  async listSessions(): Promise<TmuxSessionInfo[]> {
    let out: string;
    try {
      out = await this.run(["list-sessions", "-F", format(sessionFormat)]);
    } catch (e) {
      if (e instanceof TmuxError && e.code === "TMUX_SERVER_NOT_RUNNING") return [];
      throw e;
    }
    return withoutViews(rows(out, sessionFormat.length)).map((c) => ({
      name: c[0]!,
      windows: int(c[1]),
      attached: int(c[2]),
      createdAt: int(c[3]),
      activityAt: int(c[4]),
    }));
  }

  async hasSession(name: string, timeoutMs?: number): Promise<boolean> {
    try {
      await this.run(["has-session", "-t", sessionTarget(name)], timeoutMs);
      return true;
    } catch (e) {
      if (
        e instanceof TmuxError &&
        (e.code === "SESSION_NOT_FOUND" || e.code === "TMUX_SERVER_NOT_RUNNING")
      ) {
        return false;
      }
      throw e;
    }
  }

  async newSession(name: string, cwd: string): Promise<void> {
    const args = ["new-session", "-d", "-s", name];
    if (cwd) args.push("-c", cwd);
    await this.run(args);
  }

  async renameSession(name: string, newName: string): Promise<void> {
    await this.run(["rename-session", "-t", sessionTarget(name), "--", newName]);
  }

  async killSession(name: string): Promise<void> {
    await this.run(["kill-session", "-t", sessionTarget(name)]);
  }

  async listWindows(session: string): Promise<TmuxWindowInfo[]> {
    const out = await this.run(["list-windows", "-t", sessionTarget(session), "-F", format(windowFormat)]);
    return rows(out, windowFormat.length).map((c) => ({
      session: c[0]!,
      index: int(c[1]),
      name: c[2]!,
      active: c[3] === "1",
      panes: int(c[4]),
      layout: c[5]!,
      activityAt: int(c[6]),
    }));
  }

  /** Panes of one session (all windows), or of every session when `session` is undefined. */
  async listPanes(session?: string): Promise<TmuxPaneInfo[]> {
    const scope = session === undefined ? ["-a"] : ["-s", "-t", sessionScopeTarget(session)];
    let out: string;
    try {
      out = await this.run(["list-panes", ...scope, "-F", format(paneFormat)]);
    } catch (e) {
      // No server, or a server without sessions ("no current target"): no panes.
      if (
        session === undefined &&
        e instanceof TmuxError &&
        (e.code === "TMUX_SERVER_NOT_RUNNING" || e.code === "SESSION_NOT_FOUND")
      ) {
        return [];
      }
      // `list-panes -s -t =missing` says "can't find window": for a session target that is a missing session.
      if (session !== undefined && e instanceof TmuxError && e.code === "WINDOW_NOT_FOUND") {
        throw new TmuxError("SESSION_NOT_FOUND", "session not found", e.stderr);
      }
      throw e;
    }
    return withoutViews(rows(out, paneFormat.length)).map((c) => ({
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
    }));
  }

  /** The pane's session, so pane operations can be checked against the session in the URL. */
  async paneSession(paneId: string): Promise<string> {
    return (await this.run(["display-message", "-p", "-t", paneId, "#{session_name}"])).trim();
  }

  /**
   * Whether the pane is in one of the session's windows. Grouped sessions share windows, so a pane can belong
   * to several sessions at once (`display-message -t %N` names only one of them); a missing session throws.
   */
  async sessionHasPane(session: string, paneId: string): Promise<boolean> {
    let out: string;
    try {
      out = await this.run(["list-panes", "-s", "-t", sessionScopeTarget(session), "-F", "#{pane_id}"]);
    } catch (e) {
      if (e instanceof TmuxError && e.code === "WINDOW_NOT_FOUND") {
        throw new TmuxError("SESSION_NOT_FOUND", "session not found", e.stderr);
      }
      throw e;
    }
    return out.split("\n").some((line) => line.trim() === paneId);
  }

  /**
   * Where a view of the session's window `window` or pane `pane` points (`viewArgs`), or undefined when the
   * session has no such window or pane. A missing session throws SESSION_NOT_FOUND.
   */
  async findViewTarget(
    session: string,
    wanted: { window: number } | { pane: string },
  ): Promise<ViewTarget | undefined> {
    let out: string;
    try {
      out = await this.run([
        "list-panes",
        "-s",
        "-t",
        sessionScopeTarget(session),
        "-F",
        `#{window_index}${SEP}#{pane_id}`,
      ]);
    } catch (e) {
      if (e instanceof TmuxError && e.code === "WINDOW_NOT_FOUND") {
        throw new TmuxError("SESSION_NOT_FOUND", "session not found", e.stderr);
      }
      throw e;
    }
    for (const [index, paneId] of rows(out, 2)) {
      if ("pane" in wanted) {
        if (paneId === wanted.pane) return { window: int(index), pane: paneId };
      } else if (int(index) === wanted.window) return { window: wanted.window };
    }
    return undefined;
  }

  async selectWindow(session: string, index: number): Promise<void> {
    await this.run(["select-window", "-t", windowTarget(session, index)]);
  }

  async selectPane(paneId: string): Promise<void> {
    await this.run(["select-pane", "-t", paneId]);
  }

  async renameWindow(session: string, index: number, name: string): Promise<void> {
    await this.run(["rename-window", "-t", windowTarget(session, index), "--", name]);
  }

  async setPaneTitle(paneId: string, title: string): Promise<void> {
    await this.run(["select-pane", "-t", paneId, "-T", title]);
  }

  /**
   * Creates a window at `index` (or the next free index) and returns where it went. It starts in `cwd`, else in
   * the directory of the session's active pane (tmux expands `#{pane_current_path}` in the session's context),
   * not in the directory this server was started from.
   */
  async newWindow(session: string, index?: number, cwd?: string): Promise<{ index: number; paneId: string }> {
    const target = index === undefined ? `${sessionTarget(session)}:` : windowTarget(session, index);
    const out = await this.run([
      "new-window",
      "-P",
      "-F",
      `#{window_index}${SEP}#{pane_id}`,
      "-t",
      target,
      "-c",
      cwd || "#{pane_current_path}",
    ]);
    const [row] = rows(out, 2);
    if (!row) throw new TmuxError("TMUX_COMMAND_FAILED", "tmux command failed: unparsable output");
    return { index: int(row[0]), paneId: row[1]! };
  }

  async killWindow(session: string, index: number): Promise<void> {
    await this.run(["kill-window", "-t", windowTarget(session, index)]);
  }

  async killPane(paneId: string): Promise<void> {
    await this.run(["kill-pane", "-t", paneId]);
  }

  /**
   * vertical = side by side (`-h`), horizontal = stacked (`-v`). Returns the new pane id. The new pane starts in
   * `cwd`, else in the directory of the pane it splits. That directory is asked first: tmux 3.3a expands a
   * `-c '#{pane_current_path}'` of split-window in the session's context (its current window's active pane),
   * not the target pane's.
   */
  async splitPane(paneId: string, direction: SplitDirection, cwd?: string): Promise<string> {
    const flag = direction === "vertical" ? "-h" : "-v";
    const dir =
      cwd || (await this.run(["display-message", "-p", "-t", paneId, "#{pane_current_path}"])).trim();
    const start = dir ? ["-c", dir] : [];
    const out = await this.run(["split-window", "-t", paneId, flag, ...start, "-P", "-F", "#{pane_id}"]);
    return out.trim();
  }

  async capturePane(target: string, startLine: number): Promise<string> {
    return this.run(["capture-pane", "-p", "-t", target, "-S", String(startLine)]);
  }

  /**
   * Size of the session's active window and the rows its status line takes: a client that shows the window
   * whole is `width` × `height + statusLines`.
   */
  async activeWindowSize(session: string): Promise<{ width: number; height: number; statusLines: number }> {
    const out = await this.run([
      "display-message",
      "-p",
      "-t",
      sessionScopeTarget(session),
      `#{window_width}${SEP}#{window_height}${SEP}#{status}`,
    ]);
    const [row] = rows(out, 3);
    if (!row) throw new TmuxError("TMUX_COMMAND_FAILED", "tmux command failed: unparsable output");
    const status = row[2]!.trim();
    const statusLines = status === "off" ? 0 : status === "on" ? 1 : int(status);
    return { width: int(row[0]), height: int(row[1]), statusLines };
  }

  /**
   * Sessions with the identity of the tmux server listing them, `<pid>:<start_time>` (recovery tells a lost or
   * restarted server by it); no server running is `server: ""` and no sessions.
   */
  async listSessionsWithServer(): Promise<TmuxServerListing> {
    const fields = [
      "pid",
      "start_time",
      "session_name",
      "session_attached",
      "session_created",
      "session_windows",
    ];
    let out: string;
    try {
      out = await this.run(["list-sessions", "-F", format(fields)]);
    } catch (e) {
      if (e instanceof TmuxError && e.code === "TMUX_SERVER_NOT_RUNNING") return { server: "", sessions: [] };
      throw e;
    }
    const lines = rows(out, fields.length);
    return {
      server: lines[0] ? `${lines[0][0]}:${lines[0][1]}` : "",
      sessions: withoutViews(lines.map((c) => c.slice(2))).map((c) => ({
        name: c[0]!,
        attached: int(c[1]),
        createdAt: int(c[2]),
        windows: int(c[3]),
      })),
    };
  }

  /**
   * Every session (views included) with the sessions of its group (`session_group_list`; [] when it is in none):
   * a view whose group has no session but views left has lost the session it showed.
   */
  async sessionGroups(): Promise<Map<string, string[]>> {
    let out: string;
    try {
      out = await this.run(["list-sessions", "-F", `#{session_name}${SEP}#{session_group_list}`]);
    } catch (e) {
      if (e instanceof TmuxError && e.code === "TMUX_SERVER_NOT_RUNNING") return new Map();
      throw e;
    }
    return new Map(rows(out, 2).map(([name, group]) => [name!, group ? group.split(",") : []]));
  }

  /** Runs several tmux commands in one tmux process (`a ; b ; c`); stops at the first that fails. */
  runSequence(commands: string[][], timeoutMs?: number): Promise<string> {
    return this.run(
      commands.flatMap((c, i) => (i ? [";", ...c] : c)),
      timeoutMs,
    );
  }

  /**
   * Creates a window with one pane per entry of `cwds` (each started in its directory), in one tmux process:
   * the first window of a new session `session` when `newSession` is given, otherwise a window at exactly
   * `index`. Panes are split off the first one, evened out (`tiled`) after each split so that many fit; the
   * returned pane ids are in pane order, the Nth started in `cwds[N]`. The session name tmux really used (it
   * rewrites `.` and `:`) and the window index come back too.
   */
  async buildWindow(options: {
    session: string;
    index: number;
    name?: string;
    cwds: string[];
    newSession?: { width?: number; height?: number };
  }): Promise<{ session: string; windowIndex: number; paneIds: string[] }> {
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
    const lines = (await this.runSequence(commands)).split("\n").filter(Boolean);
    const [first, ...splits] = lines;
    const head = first?.split(SEP);
    if (!head || head.length < 3 || splits.length !== cwds.length - 1) {
      throw new TmuxError("TMUX_COMMAND_FAILED", "tmux command failed: unparsable output");
    }
    return { session: head[0]!, windowIndex: int(head[1]), paneIds: [head[2]!, ...splits.reverse()] };
  }

  /**
   * Arranges a built window in one tmux process: its layout (when tmux takes it; otherwise the window keeps
   * its even arrangement and the rest is still done), pane titles, text typed into panes (literally, then Enter
   * when asked), the active pane, and optionally makes it the session's current window.
   */
  async arrangeWindow(options: {
    session: string;
    index: number;
    layout?: string;
    titles?: Array<{ paneId: string; title: string }>;
    typed?: Array<{ paneId: string; text: string; enter: boolean }>;
    activePane?: string;
    select?: boolean;
  }): Promise<void> {
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
    if (options.layout) {
      try {
        await this.runSequence([["select-layout", "-t", target, options.layout], ...rest]);
        return;
      } catch (error) {
        if (!rest.length) return;
        if (!(error instanceof TmuxError) || error.code !== "TMUX_COMMAND_FAILED") throw error;
      }
    }
    if (rest.length) await this.runSequence(rest);
  }

  async moveWindow(session: string, from: number, to: number): Promise<void> {
    await this.run(["move-window", "-s", windowTarget(session, from), "-t", windowTarget(session, to)]);
  }

  /** `=name:`: tmux 3.3a's set-option reads `-t =name` as a pane and answers "no such session". */
  async setSessionOption(session: string, option: string, value: string): Promise<void> {
    await this.run(["set-option", "-t", sessionScopeTarget(session), "--", option, value]);
  }
}

/** What a control client needs to find its server and read UTF-8; nothing else of this process's environment. */
const CONTROL_ENV_KEYS = [
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "LANG",
  "LC_ALL",
  "LC_CTYPE",
  "TMUX_TMPDIR",
  "TZ",
];

/**
 * The environment of a control client. Kept small on purpose: tmux 3.3a to 3.5a crash (a NULL control_state
 * in control_write, tmux PR #4980) when a notification reaches a control client between its identify flags
 * and the end of its identify messages, and the client sends one message per environment variable in that
 * window: a few variables instead of an editor's hundreds make the window as short as it can be.
 */
export function controlEnv(env: NodeJS.ProcessEnv, term?: string): NodeJS.ProcessEnv {
  const small: NodeJS.ProcessEnv = {};
  for (const key of CONTROL_ENV_KEYS) if (env[key] !== undefined) small[key] = env[key];
  small.TERM = term ?? env.TERM ?? "screen";
  return small;
}
