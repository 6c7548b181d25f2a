// The start-up lock beside config.toml (src/server/settings/fileLock.ts): held while `fn` runs and given back
// after, even when `fn` throws; a lock left by a process that is gone is taken over; a live holder makes the
// caller wait, then fail with a clear error.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { withFileLock } from "../../src/server/settings/fileLock.js";

const dir = mkdtempSync(join(tmpdir(), "sentinel-lock-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("file lock", () => {
  test("held while fn runs, given back after it returns or throws", () => {
    const path = join(dir, "a.toml");
    const value = withFileLock(path, () => {
      assert.ok(existsSync(`${path}.lock`), "the lock is there while fn runs");
      return 42;
    });
    assert.equal(value, 42, "fn's value is returned");
    assert.ok(!existsSync(`${path}.lock`), "the lock is gone after");
    assert.throws(
      () =>
        withFileLock(path, () => {
          throw new Error("boom");
        }),
      /boom/,
    );
    assert.ok(!existsSync(`${path}.lock`), "the lock is gone after a throw");
  });

  test("a lock whose owner is gone is taken over", () => {
    const path = join(dir, "b.toml");
    // A pid that ran and exited: nothing holds it now.
    const gone = spawnSync(process.execPath, [
      "-e",
      "process.stdout.write(String(process.pid))",
    ]).stdout.toString();
    writeFileSync(`${path}.lock`, gone);
    assert.equal(
      withFileLock(path, () => "taken"),
      "taken",
      "the stale lock did not block",
    );
    assert.ok(!existsSync(`${path}.lock`), "and it is gone after");
  });

  test("a live holder makes the caller wait, then fail with a clear error", () => {
    const path = join(dir, "c.toml");
    // This test's parent process stands in for a live server holding the lock.
    writeFileSync(`${path}.lock`, String(process.ppid));
    const started = Date.now();
    assert.throws(
      () => withFileLock(path, () => "never", 200),
      new RegExp(`is held by another process \\(pid ${process.ppid}\\)`),
    );
    assert.ok(Date.now() - started >= 200, "it waited for the holder");
    assert.ok(existsSync(`${path}.lock`), "a live holder's lock is left alone");
    rmSync(`${path}.lock`);
  });
});
