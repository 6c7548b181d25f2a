// The host's boot id (spec §7.1 step 1): Linux `/proc/sys/kernel/random/boot_id`; elsewhere
// `sysctl -n kern.boottime` (800 ms timeout, whitespace collapsed); failing both, `<hostname>:<5-minute bucket>`.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";

export const LINUX_BOOT_ID_PATH = "/proc/sys/kernel/random/boot_id";

function sysctlBootTime(): Promise<string> {
  return new Promise((resolve) => {
    execFile("sysctl", ["-n", "kern.boottime"], { timeout: 800, encoding: "utf8" }, (error, stdout) =>
      resolve(error ? "" : stdout.replace(/\s+/g, " ").trim()),
    );
  });
}

export function fallbackBootId(now = Date.now()): string {
  return `${hostname()}:${Math.floor(now / 1000 / 300)}`;
}

/**
 * `path` overrides the Linux file (tests fake a reboot by changing what it holds). Read synchronously: a procfs
 * file of 37 bytes answers at once, where an asynchronous read is four trips through the thread pool, each one a
 * wake-up of the event loop, at every recovery tick.
 */
export async function readBootId(path = LINUX_BOOT_ID_PATH): Promise<string> {
  try {
    const id = readFileSync(path, "utf8").trim();
    if (id) return id;
  } catch {
    // Not Linux, or no procfs: try the BSD way.
  }
  if (process.platform !== "linux") {
    const id = await sysctlBootTime();
    if (id) return id;
  }
  return fallbackBootId();
}
