// Whether any tmux pane has written since the last look, without asking tmux (ADR 0013). tmux reads a pane's
// output from its pty with read(2), and Linux counts the bytes in `rchar` of /proc/<tmux server pid>/io. Client
// commands arrive over the tmux socket with recvmsg(2), which `rchar` does not count, so the watchtower's own
// listings and captures do not move it: it moves only when some pane wrote. One read of a small /proc file costs
// microseconds and wakes neither tmux nor any other process, so it can run every few tens of milliseconds.
//
// Where there is no /proc (macOS, BSD), the file cannot be read (another user's tmux, hardened /proc), or the pid
// does not name a tmux process (a pid from another PID namespace), the probe says "unknown" and the watchtower
// falls back to listing on a timer.
import { readFileSync } from "node:fs";

export type ProbeResult = "changed" | "unchanged" | "unknown";

export class OutputProbe {
  private pid: number | undefined;
  private last: string | undefined;
  private usable = false;

  constructor(private readonly procRoot = "/proc") {}

  /** The tmux server's pid, from the latest listing (undefined: no tmux server). A new pid starts afresh. */
  setServerPid(pid: number | undefined): void {
    if (pid === this.pid) return;
    this.pid = pid;
    this.last = undefined;
    this.usable = pid !== undefined && this.isTmux(pid);
    if (this.usable) this.last = this.read();
    if (this.last === undefined) this.usable = false;
  }

  /** Whether the probe can see the server's pane output at all. */
  get available(): boolean {
    return this.usable;
  }

  /** Whether the counter moved since the last call (or since the pid was set). */
  check(): ProbeResult {
    if (!this.usable) return "unknown";
    const now = this.read();
    if (now === undefined) {
      // The server went away (or /proc stopped answering): the next listing says which.
      this.usable = false;
      return "unknown";
    }
    if (now === this.last) return "unchanged";
    this.last = now;
    return "changed";
  }

  /**
   * Takes the counter as it is now as the baseline. Called right after each listing: tmux reads
   * /proc/<pid>/cmdline for `pane_current_command`, which `rchar` counts, so without this every listing would
   * look like output and ask for the next. Output that lands between the listing and this read is seen at the
   * next listing (its window's activity time is newer than the last listing), at the latest a tick later.
   */
  rebase(): void {
    if (!this.usable) return;
    const now = this.read();
    if (now !== undefined) this.last = now;
  }

  private read(): string | undefined {
    try {
      const text = readFileSync(`${this.procRoot}/${this.pid}/io`, "latin1");
      const m = /^rchar:\s*(\d+)$/m.exec(text);
      return m ? m[1] : undefined;
    } catch {
      return undefined;
    }
  }

  private isTmux(pid: number): boolean {
    try {
      return /^tmux/.test(readFileSync(`${this.procRoot}/${pid}/comm`, "latin1").trim());
    } catch {
      return false;
    }
  }
}
