// A private tmux server per test file: its own socket in a temp dir, no user config; killed and removed after.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TmuxFixture {
  socket: string;
  dir: string;
  tmux(...args: string[]): Promise<string>;
  newSession(name: string): Promise<void>;
  close(): Promise<void>;
}

/** The shell of every fixture pane: bash without rc files, with a plain prompt. */
export const CLEAN_SHELL = "env PS1='$ ' bash --norc --noprofile";

export async function startTmux(): Promise<TmuxFixture> {
  const dir = mkdtempSync(join(tmpdir(), "sentinel-tmux-"));
  const socket = join(dir, "sock");
  const env = { ...process.env };
  delete env.TMUX;
  delete env.TMUX_PANE;
  const tmux = (...args: string[]) =>
    new Promise<string>((resolve, reject) => {
      execFile("tmux", ["-S", socket, "-f", "/dev/null", ...args], { env }, (error, stdout, stderr) =>
        error ? reject(new Error(`tmux ${args.join(" ")}: ${stderr || error.message}`)) : resolve(stdout),
      );
    });
  return {
    socket,
    dir,
    tmux,
    newSession: async (name) => {
      // Panes run a bash that reads no rc file: the user's ~/.bashrc (pyenv, a slow prompt) must not decide
      // whether a test sees its prompt. Set for the whole tmux server, so sessions the server creates get it too.
      await tmux(
        "start-server",
        ";",
        "set-option",
        "-g",
        "default-command",
        CLEAN_SHELL,
        ";",
        "new-session",
        "-d",
        "-s",
        name,
        "-x",
        "120",
        "-y",
        "40",
      );
    },
    close: async () => {
      await tmux("kill-server").catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it returns a truthy value or the timeout passes. */
export async function waitFor<T>(
  check: () => Promise<T> | T,
  timeoutMs = 5000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
