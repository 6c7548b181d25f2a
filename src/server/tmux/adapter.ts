// The tmux commands of the server: sessions, windows and panes listed, created, changed and removed, each with
// exact targets (./args.ts), run as one tmux process by `TmuxProcess` (./process.ts). A value from a user that
// tmux reads as a positional argument (a new name, typed text) comes after `--`, so tmux never reads it as
// flags (`rename-window -t =s:0 -kill-server`); values of flags (`-n`, `-T`, `-c`) are never flags. Listings
// are parsed by ./listing.ts; recovery's multi-command window builds are assembled by ./windowBuild.ts.
import { sessionScopeTarget, sessionTarget, windowTarget } from "./args.js";
import { TmuxError } from "./errors.js";
import {
  format,
  int,
  PANE_FIELDS,
  paneRows,
  rows,
  SEP,
  SESSION_FIELDS,
  sessionOf,
  sessionRows,
  type TmuxPane,
  type TmuxSession,
  type TmuxWindow,
  unparsable,
  WINDOW_FIELDS,
  windowRows,
} from "./listing.js";
import { TmuxProcess } from "./process.js";
import { type ViewTarget, withoutViews } from "./viewSessions.js";
import {
  type ArrangeWindowOptions,
  arrangeWindowCommands,
  type BuildWindowOptions,
  type BuiltWindow,
  buildWindowCommands,
  parseBuiltWindow,
} from "./windowBuild.js";

export interface TmuxServerListing {
  /** `<pid>:<start_time>` of the server, "" when none runs. */
  server: string;
  sessions: Array<Pick<TmuxSession, "name" | "attached" | "createdAt" | "windows">>;
}

export type SplitDirection = "vertical" | "horizontal";

export class Tmux extends TmuxProcess {
  async version(): Promise<string> {
    return (await this.run(["-V"])).trim();
  }

  /** Lists sessions; an absent tmux server means no sessions. */
  async listSessions(): Promise<TmuxSession[]> {
    let out: string;
    try {
      out = await this.query(["list-sessions", "-F", format(SESSION_FIELDS)]);
    } catch (e) {
      if (e instanceof TmuxError && e.code === "TMUX_SERVER_NOT_RUNNING") return [];
      throw e;
    }
    return sessionRows(out, true);
  }

  async hasSession(name: string, timeoutMs?: number): Promise<boolean> {
    try {
      await this.query(["has-session", "-t", sessionTarget(name)], timeoutMs);
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

  async listWindows(session: string): Promise<TmuxWindow[]> {
    const out = await this.query(["list-windows", "-t", sessionTarget(session), "-F", format(WINDOW_FIELDS)]);
    return windowRows(out, true);
  }

  /** Panes of one session (all windows), or of every session when `session` is undefined. */
  async listPanes(session?: string): Promise<TmuxPane[]> {
    const scope = session === undefined ? ["-a"] : ["-s", "-t", sessionScopeTarget(session)];
    let out: string;
    try {
      out = await this.query(["list-panes", ...scope, "-F", format(PANE_FIELDS)]);
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
    return paneRows(out, true);
  }

  /** The pane's session, so pane operations can be checked against the session in the URL. */
  async paneSession(paneId: string): Promise<string> {
    return (await this.query(["display-message", "-p", "-t", paneId, "#{session_name}"])).trim();
  }

  /**
   * Whether the pane is in one of the session's windows. Grouped sessions share windows, so a pane can belong
   * to several sessions at once (`display-message -t %N` names only one of them); a missing session throws.
   */
  async sessionHasPane(session: string, paneId: string): Promise<boolean> {
    let out: string;
    try {
      out = await this.query(["list-panes", "-s", "-t", sessionScopeTarget(session), "-F", "#{pane_id}"]);
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
      out = await this.query([
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
    for (const [index, paneId] of rows(out, 2, true)) {
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
    const [row] = rows(out, 2, true);
    if (!row) throw unparsable();
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
    return this.query(["capture-pane", "-p", "-t", target, "-S", String(startLine)]);
  }

  /**
   * Size of the session's active window and the rows its status line takes: a client that shows the window
   * whole is `width` × `height + statusLines`.
   */
  async activeWindowSize(session: string): Promise<{ width: number; height: number; statusLines: number }> {
    const out = await this.query([
      "display-message",
      "-p",
      "-t",
      sessionScopeTarget(session),
      `#{window_width}${SEP}#{window_height}${SEP}#{status}`,
    ]);
    const [row] = rows(out, 3, true);
    if (!row) throw unparsable();
    const status = row[2]!.trim();
    const statusLines = status === "off" ? 0 : status === "on" ? 1 : int(status);
    return { width: int(row[0]), height: int(row[1]), statusLines };
  }

  /**
   * Sessions with the identity of the tmux server listing them, `<pid>:<start_time>` (recovery tells a lost or
   * restarted server by it); no server running is `server: ""` and no sessions.
   */
  async listSessionsWithServer(): Promise<TmuxServerListing> {
    let out: string;
    try {
      out = await this.query(["list-sessions", "-F", format(["pid", "start_time", ...SESSION_FIELDS])]);
    } catch (e) {
      if (e instanceof TmuxError && e.code === "TMUX_SERVER_NOT_RUNNING") return { server: "", sessions: [] };
      throw e;
    }
    const lines = rows(out, 2 + SESSION_FIELDS.length, true);
    return {
      server: lines[0] ? `${lines[0][0]}:${lines[0][1]}` : "",
      sessions: withoutViews(lines.map((c) => c.slice(2))).map((c) => {
        const { name, attached, createdAt, windows } = sessionOf(c);
        return { name, attached, createdAt, windows };
      }),
    };
  }

  /**
   * Every session (views included) with the sessions of its group (`session_group_list`; [] when it is in none):
   * a view whose group has no session but views left has lost the session it showed.
   */
  async sessionGroups(): Promise<Map<string, string[]>> {
    let out: string;
    try {
      out = await this.query(["list-sessions", "-F", `#{session_name}${SEP}#{session_group_list}`]);
    } catch (e) {
      if (e instanceof TmuxError && e.code === "TMUX_SERVER_NOT_RUNNING") return new Map();
      throw e;
    }
    return new Map(rows(out, 2, true).map(([name, group]) => [name!, group ? group.split(",") : []]));
  }

  /**
   * Creates a window with one pane per entry of `cwds` (each started in its directory), in one tmux process
   * (./windowBuild.ts): the first window of a new session `session` when `newSession` is given, otherwise a
   * window at exactly `index`. Returns the session name tmux really used, the window index and the pane ids in
   * pane order.
   */
  async buildWindow(options: BuildWindowOptions): Promise<BuiltWindow> {
    return parseBuiltWindow(await this.runSequence(buildWindowCommands(options)), options.cwds.length);
  }

  /**
   * Arranges a built window in one tmux process: its layout (when tmux takes it; otherwise the window keeps
   * its even arrangement and the rest is still done), pane titles, typed text, the active pane, and optionally
   * makes it the session's current window.
   */
  async arrangeWindow(options: ArrangeWindowOptions): Promise<void> {
    const { layout, rest } = arrangeWindowCommands(options);
    if (layout) {
      try {
        await this.runSequence([layout, ...rest]);
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
