// The fields of /proc/<pid>/stat this server reads (proc(5)): the runbooks' orphaned step processes
// (ops/runbooks/orphans.ts) and the terminal a typed pane runs on (watchtower/typedPanes.ts).

export interface ProcStat {
  /** The process is a zombie (state Z). */
  zombie: boolean;
  /** Field 5: its process group. */
  pgrp: number;
  /** Field 8: the foreground process group of its controlling terminal (-1 without one). */
  tpgid: number;
  /** Field 22: when it started, in clock ticks since boot. */
  startTime: number;
}

/** Parses /proc/<pid>/stat (the command name may hold spaces and parentheses: split after the last ")"). */
export function parseStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(")");
  if (close < 0) return undefined;
  const fields = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  // fields[0] is field 3 (state).
  const pgrp = Number(fields[2]);
  const tpgid = Number(fields[5]);
  const startTime = Number(fields[19]);
  if (!Number.isFinite(pgrp) || !Number.isFinite(tpgid) || !Number.isFinite(startTime)) return undefined;
  return { zombie: fields[0] === "Z", pgrp, tpgid, startTime };
}
