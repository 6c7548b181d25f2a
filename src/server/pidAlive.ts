// Whether a process id names a running process (of any user: EPERM still means it exists). A zombie, dead and
// waiting for its parent to reap it, is not running.
import { readFileSync } from "node:fs";

export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    // No /proc (macOS, BSD): kill(0) is all there is. Gone in between: not running.
    return process.platform !== "linux";
  }
}
