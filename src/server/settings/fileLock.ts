// A short exclusive lock beside a file (`<path>.lock`, holding the owner's pid), for the few synchronous steps at
// start-up that read a file and write it back: two servers starting together on one data dir must not each
// write their own version. A lock whose owner is gone (killed in between) is taken over.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { isProcessAlive } from "../pidAlive.js";

const RETRY_MS = 10;

/** Runs `fn` holding `<path>.lock`; waits at most `timeoutMs` for another holder, then fails with a clear error. */
export function withFileLock<T>(path: string, fn: () => T, timeoutMs = 5000): T {
  const lock = `${path}.lock`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      writeFileSync(lock, String(process.pid), { mode: 0o600, flag: "wx" });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    if (!ownerAlive(lock)) {
      rmSync(lock, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`${lock} is held by another process (pid ${owner(lock)})`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, RETRY_MS);
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

/** The lock file's text (its owner's pid, or "" while its owner is still writing it); undefined: no lock. */
function owner(lock: string): string | undefined {
  try {
    return readFileSync(lock, "utf8").trim();
  } catch {
    return undefined;
  }
}

/** A lock file that is still empty was just created by its owner: alive. */
function ownerAlive(lock: string): boolean {
  const text = owner(lock);
  return text !== undefined && (text === "" || isProcessAlive(Number(text)));
}
