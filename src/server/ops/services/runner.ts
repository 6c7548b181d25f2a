// Runs systemctl and journalctl: execFile (never a shell), a timeout, bounded output. The one place ops
// services start a process; tests swap in a recorded fixture by putting fake binaries first on PATH.
import { execFile } from "node:child_process";

export interface CommandResult {
  stdout: string;
  stderr: string;
  /** Exit status; null when killed (timeout). */
  code: number | null;
  timedOut: boolean;
}

export type CommandRunner = (file: string, args: string[], timeoutMs: number) => Promise<CommandResult>;

/** 4 MiB of output at most (1000 journal lines of a chatty unit fit). */
const MAX_BUFFER = 4 * 1024 * 1024;

export const execRunner: CommandRunner = (file, args, timeoutMs) =>
  new Promise((resolve) => {
    execFile(
      file,
      args,
      {
        timeout: timeoutMs,
        maxBuffer: MAX_BUFFER,
        encoding: "utf8",
        windowsHide: true,
        // Plain, stable output: no pager, no colours, no localisation of state words.
        env: { ...process.env, SYSTEMD_PAGER: "", SYSTEMD_COLORS: "0", LC_ALL: "C", LANG: "C" },
      },
      (error, stdout, stderr) => {
        const err = error as (NodeJS.ErrnoException & { code?: number | string; killed?: boolean }) | null;
        if (err && typeof err.code === "string") {
          // The binary could not be started at all (ENOENT, EACCES).
          resolve({ stdout: "", stderr: `${file}: ${err.message}`, code: 127, timedOut: false });
          return;
        }
        const timedOut = !!err?.killed;
        resolve({
          stdout: String(stdout ?? ""),
          stderr: String(stderr ?? ""),
          code: err ? (typeof err.code === "number" ? err.code : null) : 0,
          timedOut,
        });
      },
    );
  });
