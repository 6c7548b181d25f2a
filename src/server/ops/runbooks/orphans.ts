// A step runs in its own process group (./shell.ts), so a server killed with SIGKILL leaves that group running
// with nobody to end it. The runner records who the group leader is (pid, its start time in the kernel's clock
// ticks, the boot id) while a step runs; at the next start, the process groups of jobs left unfinished are ended,
// but only when they are provably the same processes: same boot, and either the leader itself with the same
// start time, or (the leader gone) members of that group that started no earlier than it. Linux only (procfs);
// elsewhere nothing is recorded and nothing is killed.
import { readdirSync, readFileSync } from "node:fs";
import { type ProcStat, parseStat } from "../../procStat.js";
import type { StepProcess } from "../../store/opsJobRepo.js";

function readBootId(): string {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return "";
  }
}

function stat(pid: number): ProcStat | undefined {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return undefined;
  }
}

/** Who leads the step's process group, for a later start to recognise it; undefined off Linux. */
export function identify(pgid: number): StepProcess | undefined {
  const s = stat(pgid);
  const bootId = readBootId();
  if (!s || !bootId) return undefined;
  return { pgid, startTime: s.startTime, bootId };
}

function kill(pid: number): boolean {
  try {
    process.kill(pid, "SIGKILL");
    return true;
  } catch {
    return false;
  }
}

/** Ends what is left of a recorded step's process group; returns how many processes were signalled. */
export function endOrphanGroup(recorded: StepProcess): number {
  if (!recorded.bootId || recorded.bootId !== readBootId()) return 0;
  const leader = stat(recorded.pgid);
  if (leader && !leader.zombie) {
    if (leader.pgrp !== recorded.pgid || leader.startTime !== recorded.startTime) return 0;
    try {
      process.kill(-recorded.pgid, "SIGKILL");
      return 1;
    } catch {
      return 0;
    }
  }
  let killed = 0;
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return 0;
  }
  for (const name of pids) {
    const pid = Number(name);
    const s = stat(pid);
    if (s && !s.zombie && s.pgrp === recorded.pgid && s.startTime >= recorded.startTime && kill(pid))
      killed += 1;
  }
  return killed;
}
