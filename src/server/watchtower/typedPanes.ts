// What tmux reads for the panes this server's own terminals type into, beyond the keys and the echo it draws on
// them (engine.ts tells their echo from output elsewhere by the bytes tmux read, ADR 0021):
// - every byte the pane's program writes to its terminal: a full-screen program writes more than tmux draws on a
//   client (vim rewrites what did not change, tmux draws only what did). Counted by /proc/<pid>/io `wchar` of the
//   terminal's foreground process, which also counts what it writes to files: more allowed, never less;
// - with automatic-rename on (the default), a window whose active pane wrote has its name checked at most once per
//   NAME_INTERVAL_MS, reading /proc/<foreground process group>/cmdline in one read (tmux osdep-linux.c
//   `osdep_get_name`): a few dozen bytes at a shell prompt, more at `vim ~/src/project/a/long/path.ts`.
// Without them every look while typing in vim took the echo for output elsewhere and collected.
import { readFileSync } from "node:fs";
import { parseStat } from "../procStat.js";

/** tmux checks a window's name at most this often (names.c NAME_INTERVAL). */
export const NAME_INTERVAL_MS = 500;
/** The most one read of a command line takes (tmux reads it through a stdio buffer). */
const MAX_CMDLINE_READ = 4096;

/** The foreground process group of the terminal `panePid` runs on (its leader's pid), from /proc; 0 if unknown. */
export function foregroundGroup(panePid: number): number {
  if (!(panePid > 0)) return 0;
  try {
    const tpgid = parseStat(readFileSync(`/proc/${panePid}/stat`, "latin1"))?.tpgid ?? 0;
    return Number.isInteger(tpgid) && tpgid > 0 ? tpgid : 0;
  } catch {
    return 0;
  }
}

/** Bytes `pid` has written (`wchar` of /proc/<pid>/io); undefined when /proc does not say (ended, not ours). */
export function writtenBytes(pid: number): number | undefined {
  try {
    const match = /^wchar: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, "latin1"));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Bytes of `pid`'s command line as tmux reads it to name a window; 0 when /proc does not say. */
export function cmdlineBytes(pid: number): number {
  try {
    return Math.min(readFileSync(`/proc/${pid}/cmdline`).length, MAX_CMDLINE_READ);
  } catch {
    return 0;
  }
}

/** What tmux can have read for the typed panes since the last look, in bytes. */
export interface TypedReads {
  /** What their programs wrote (to their terminals, and to files: never less than tmux read of them). */
  written: number;
  /** Their command lines, once per name check that can have run. */
  names: number;
}

/**
 * Meters what tmux reads for the typed panes, from one call to the next (the probe's looks while this server's
 * terminals type). A pause in the typing keeps the baselines: what a typed pane's program wrote meanwhile shows in
 * that terminal, and the first look after the pause counts it as that pane's, instead of taking it for output
 * elsewhere (a collect at every burst of typing in vim).
 */
export class TypedPanes {
  /** `wchar` and command-line bytes of each foreground process at the last call. */
  private seen = new Map<number, { written: number | undefined; cmdline: number }>();

  /**
   * Bytes tmux can have read for the panes whose first processes are `panePids` over the `spanMs` since the last
   * call: what their foreground processes wrote since then (nothing the first time a process is seen: no baseline
   * yet), and their command lines once per NAME_INTERVAL_MS and once more for a check already under way.
   */
  readSince(panePids: Iterable<number>, spanMs: number): TypedReads {
    const seen = new Map<number, { written: number | undefined; cmdline: number }>();
    let written = 0;
    let perCheck = 0;
    for (const panePid of panePids) {
      const group = foregroundGroup(panePid);
      if (!group || seen.has(group)) continue;
      const before = this.seen.get(group);
      const now = { written: writtenBytes(group), cmdline: before?.cmdline ?? cmdlineBytes(group) };
      if (now.written !== undefined && before?.written !== undefined && now.written >= before.written)
        written += now.written - before.written;
      perCheck += now.cmdline;
      seen.set(group, now);
    }
    this.seen = seen;
    return { written, names: perCheck * (Math.floor(Math.max(0, spanMs) / NAME_INTERVAL_MS) + 1) };
  }
}
