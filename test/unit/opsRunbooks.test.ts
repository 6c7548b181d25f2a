// Runbooks, jobs and schedules without the HTTP server: cron and time zones (croner), body validation with the
// spec's messages, the capped output, real `/bin/sh -c` steps (success, failure, timeout and cancel, with the
// whole process tree gone), and the runner and scheduler against a real SQLite file (per-step events, a cron
// schedule that keeps firing, the manual trigger's outcome, a restart failing the jobs a killed process left).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { ErrorCode } from "../../src/protocol/errors.js";
import type { Job, JobUpdatedPayload, ScheduleUpdatedPayload } from "../../src/protocol/opsRunbooks.js";
import { DomainError } from "../../src/server/errors.js";
import {
  nextFire,
  parseCron,
  parseGoDuration,
  parseRfc3339,
  resolveTimezone,
} from "../../src/server/ops/runbooks/cron.js";
import { endOrphanGroup, identify } from "../../src/server/ops/runbooks/orphans.js";
import { JobRunner, Reasons } from "../../src/server/ops/runbooks/runner.js";
import { Scheduler } from "../../src/server/ops/runbooks/scheduler.js";
import { formatSeconds, OutputCapture, runShell } from "../../src/server/ops/runbooks/shell.js";
import { runbookFromBody, scheduleFromBody } from "../../src/server/ops/runbooks/validate.js";
import { isProcessAlive } from "../../src/server/pidAlive.js";
import { Store } from "../../src/server/store/database.js";
import { JobRepo } from "../../src/server/store/opsJobRepo.js";
import { RunbookRepo } from "../../src/server/store/opsRunbookRepo.js";
import { ScheduleRepo } from "../../src/server/store/opsScheduleRepo.js";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "sentinel-runbooks-"));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await sleep(20);
  }
}

const invalid = (e: unknown) => e instanceof DomainError && e.code === ErrorCode.InvalidRequest;
const rejects = (fn: () => unknown, message: string) =>
  assert.throws(fn, (e: unknown) => invalid(e) && (e as Error).message === message);

describe("cron", () => {
  test("5 and 6 fields, descriptors and @every parse; anything else does not", () => {
    for (const ok of ["* * * * *", "*/5 9-17 * * 1-5", "*/2 * * * * *", "@daily", "@HOURLY", "@every 90s"]) {
      assert.ok(parseCron(ok), ok);
    }
    for (const bad of [
      "",
      "bad",
      "* * * *",
      "* * * * * * *",
      "61 * * * *",
      "@often",
      "@every",
      "@every -1s",
      "@every x",
    ]) {
      assert.equal(parseCron(bad), undefined, bad);
    }
  });

  test("fields are read in the schedule's time zone, across DST", () => {
    const spec = parseCron("0 9 * * *")!;
    const ny = resolveTimezone("America/New_York")!;
    assert.equal(
      nextFire(spec, ny, new Date("2026-06-01T00:00:00Z"))?.toISOString(),
      "2026-06-01T13:00:00.000Z",
    );
    assert.equal(
      nextFire(spec, ny, new Date("2026-12-01T00:00:00Z"))?.toISOString(),
      "2026-12-01T14:00:00.000Z",
    );
    assert.equal(
      nextFire(spec, "UTC", new Date("2026-12-01T00:00:00Z"))?.toISOString(),
      "2026-12-01T09:00:00.000Z",
    );
    const tokyo = nextFire(spec, "Asia/Tokyo", new Date("2026-12-01T00:00:00Z"));
    assert.equal(tokyo?.toISOString(), "2026-12-02T00:00:00.000Z");
  });

  test("per-second cron and @every", () => {
    const after = new Date("2026-01-01T00:00:00.400Z");
    assert.equal(
      nextFire(parseCron("* * * * * *")!, "UTC", after)?.toISOString(),
      "2026-01-01T00:00:01.000Z",
    );
    assert.equal(nextFire(parseCron("@every 90s")!, "UTC", after)?.toISOString(), "2026-01-01T00:01:30.000Z");
  });

  test("time zones: IANA names, UTC, Local; unknown names refused", () => {
    assert.equal(resolveTimezone("UTC"), "UTC");
    assert.equal(resolveTimezone(""), "UTC");
    assert.ok(resolveTimezone("Local"));
    assert.equal(resolveTimezone("Europe/Paris"), "Europe/Paris");
    assert.equal(resolveTimezone("Mars/Olympus_Mons"), undefined);
    assert.equal(resolveTimezone("not a zone"), undefined);
  });

  test("Go durations and RFC 3339", () => {
    assert.equal(parseGoDuration("1h30m"), 5_400_000);
    assert.equal(parseGoDuration("1.5s"), 1500);
    assert.equal(parseGoDuration("90"), undefined);
    assert.equal(parseRfc3339("2026-03-01T10:00:00+02:00")?.toISOString(), "2026-03-01T08:00:00.000Z");
    assert.equal(parseRfc3339("2026-03-01T10:00:00.5Z")?.toISOString(), "2026-03-01T10:00:00.500Z");
    assert.equal(parseRfc3339("2026-02-30T10:00:00Z"), undefined);
    assert.equal(parseRfc3339("2026-03-01 10:00:00"), undefined);
    assert.equal(parseRfc3339("tomorrow"), undefined);
  });
});

describe("validation", () => {
  const step = { type: "command", title: "t", command: "true" };

  test("runbook bodies: Go's key matching, zero values, the spec's and this port's messages", () => {
    const r = runbookFromBody({ NAME: " Deploy ", Steps: [{ TYPE: "Command", command: "make" }] });
    assert.equal(r.name, "Deploy");
    assert.equal(r.enabled, false);
    assert.deepEqual(r.steps, [{ type: "command", title: "make", command: "make" }]);
    rejects(() => runbookFromBody({ name: "x", steps: [step], bogus: 1 }), "invalid json body");
    rejects(() => runbookFromBody({ name: 5, steps: [step] }), "invalid json body");
    rejects(() => runbookFromBody([]), "invalid json body");
    rejects(() => runbookFromBody({ name: " ", steps: [step] }), "runbook name is required");
    rejects(() => runbookFromBody({ name: "x", steps: [] }), "runbook needs at least one step");
    rejects(() => runbookFromBody({ name: "x" }), "runbook needs at least one step");
    rejects(
      () => runbookFromBody({ name: "x", steps: [{ type: "shell", command: "ls" }] }),
      "step 1: type must be command, check or manual",
    );
    rejects(
      () => runbookFromBody({ name: "x", steps: [step, { type: "command", command: " " }] }),
      "step 2: command is required",
    );
    rejects(() => runbookFromBody({ name: "x", steps: [{ type: "check" }] }), "step 1: check is required");
    rejects(
      () => runbookFromBody({ id: "a b", name: "x", steps: [step] }),
      "runbook id must be 1-128 characters: letters, digits, dots, hyphens, underscores",
    );
    assert.throws(() => runbookFromBody({ name: "x", steps: [{ ...step, timeoutSeconds: -1 }] }), invalid);
    assert.throws(() => runbookFromBody({ name: "x", steps: [step], timeoutSeconds: 1.5 }), invalid);
  });

  test("schedule bodies: checks in the spec's order, next run computed at save time", () => {
    const now = new Date("2026-06-01T12:00:00Z");
    const exists = (id: string) => id === "rb";
    const base = { runbookId: "rb", name: "n", scheduleType: "cron", cronExpr: "0 9 * * *", enabled: true };
    rejects(() => scheduleFromBody({}, exists, now), "runbookId is required");
    rejects(() => scheduleFromBody({ runbookId: "rb" }, exists, now), "name is required");
    rejects(
      () => scheduleFromBody({ ...base, scheduleType: "weekly" }, exists, now),
      'scheduleType must be "cron" or "once"',
    );
    rejects(
      () => scheduleFromBody({ ...base, runbookId: "nope", cronExpr: "bad" }, exists, now),
      "runbook not found",
    );
    rejects(() => scheduleFromBody({ ...base, cronExpr: "bad" }, exists, now), "invalid cron expression");
    rejects(() => scheduleFromBody({ ...base, timezone: "Nowhere/City" }, exists, now), "invalid timezone");
    rejects(
      () => scheduleFromBody({ ...base, scheduleType: "once", runAt: "soon" }, exists, now),
      "runAt must be a valid RFC3339 timestamp",
    );
    rejects(
      () => scheduleFromBody({ ...base, scheduleType: "once", runAt: "2026-06-01T11:00:00Z" }, exists, now),
      "runAt must be in the future",
    );
    rejects(() => scheduleFromBody({ ...base, extra: true }, exists, now), "invalid json body");

    const { runbookId: _, ...rest } = base;
    const cron = scheduleFromBody({ ...rest, runbookID: "rb", timezone: "America/New_York" }, exists, now);
    assert.equal(cron.runbookId, "rb");
    assert.equal(cron.nextRunAt, "2026-06-01T13:00:00Z");
    assert.equal(cron.runAt, "");
    const utc = scheduleFromBody({ ...base, timezone: "" }, exists, now);
    assert.equal(utc.timezone, "UTC");
    assert.equal(utc.nextRunAt, "2026-06-02T09:00:00Z");
    const once = scheduleFromBody(
      { ...base, scheduleType: "once", runAt: "2026-06-02T10:00:00+02:00" },
      exists,
      now,
    );
    assert.equal(once.nextRunAt, "2026-06-02T08:00:00Z");
    assert.equal(once.runAt, "2026-06-02T08:00:00Z");
    assert.equal(
      scheduleFromBody({ runbookId: "rb", name: "n", scheduleType: "CRON", cronExpr: "@daily" }, exists, now)
        .enabled,
      false,
    );
  });
});

describe("output capture", () => {
  test("keeps head and tail, says how much was left out", () => {
    const capture = new OutputCapture(10);
    capture.push(Buffer.from("0123456789abcdefghij"));
    assert.equal(capture.dropped, 10);
    assert.equal(capture.text(), "01234\n… [10 bytes of output left out] …\nfghij");
    const small = new OutputCapture(100);
    small.push(Buffer.from("a"));
    small.push(Buffer.from("b"));
    assert.equal(small.text(), "ab");
  });

  test("durations print as Go prints them", () => {
    assert.equal(formatSeconds(30_000), "30s");
    assert.equal(formatSeconds(1500), "1.5s");
    assert.equal(formatSeconds(300_000), "5m0s");
    assert.equal(formatSeconds(5_400_000), "1h30m0s");
    assert.equal(formatSeconds(200), "200ms");
  });
});

describe("shell steps", () => {
  test("success: combined output and exit code 0", async () => {
    const r = await runShell("echo out; echo err >&2; printf 'é'", { timeoutMs: 5000, maxOutputBytes: 1024 });
    assert.equal(r.error, "");
    assert.equal(r.exitCode, 0);
    assert.equal(r.output, "out\nerr\né");
  });

  test("failure: the exit status as Go words it", async () => {
    const r = await runShell("echo nope; exit 3", { timeoutMs: 5000, maxOutputBytes: 1024 });
    assert.equal(r.error, "exit status 3");
    assert.equal(r.exitCode, 3);
    assert.equal(r.output, "nope\n");
  });

  test("output over the cap is cut in the middle", async () => {
    const r = await runShell("head -c 100000 /dev/zero | tr '\\0' x", {
      timeoutMs: 5000,
      maxOutputBytes: 1000,
    });
    assert.equal(r.truncatedBytes, 99_000);
    assert.ok(r.output.startsWith("x".repeat(500)));
    assert.ok(r.output.endsWith("x".repeat(500)));
  });

  test("timeout ends the whole process tree, even children that ignore SIGTERM", async () => {
    const dir = tempDir();
    const pids = join(dir, "pids");
    const started = Date.now();
    const r = await runShell(
      `sh -c 'trap "" TERM; sleep 300' & echo $! > ${pids}; sleep 300 & echo $! >> ${pids}; wait`,
      { timeoutMs: 500, maxOutputBytes: 1024, killGraceMs: 300 },
    );
    assert.equal(r.timedOut, true);
    assert.equal(r.error, "timed out after 500ms");
    assert.ok(Date.now() - started < 4000);
    const children = readFileSync(pids, "utf8").trim().split("\n").map(Number);
    assert.equal(children.length, 2);
    await waitUntil(() => children.every((pid) => !isProcessAlive(pid)));
    await waitUntil(() => !groupAlive(r.pgid!));
  });

  test("cancel ends the whole process tree with the abort reason", async () => {
    const dir = tempDir();
    const pids = join(dir, "pids");
    const controller = new AbortController();
    const running = runShell(`sleep 300 & echo $! > ${pids}; sleep 300`, {
      timeoutMs: 60_000,
      maxOutputBytes: 1024,
      signal: controller.signal,
    });
    await waitUntil(() => {
      try {
        return readFileSync(pids, "utf8").trim() !== "";
      } catch {
        return false;
      }
    });
    controller.abort("cancelled by request");
    const r = await running;
    assert.equal(r.cancelled, true);
    assert.equal(r.error, "cancelled by request");
    const child = Number(readFileSync(pids, "utf8").trim());
    await waitUntil(() => !isProcessAlive(child));
    await waitUntil(() => !groupAlive(r.pgid!));
  });

  test("a background process left behind ends with its step instead of holding it open", async () => {
    const started = Date.now();
    const r = await runShell("sleep 300 & echo started", { timeoutMs: 10_000, maxOutputBytes: 1024 });
    assert.equal(r.error, "");
    assert.equal(r.output, "started\n");
    assert.ok(Date.now() - started < 3000);
    await waitUntil(() => !groupAlive(r.pgid!));
  });
});

interface Harness {
  store: Store;
  runbookRepo: RunbookRepo;
  jobRepo: JobRepo;
  scheduleRepo: ScheduleRepo;
  runner: JobRunner;
  scheduler: Scheduler;
  jobs: Job[];
  schedules: ScheduleUpdatedPayload[];
  timeline: Array<Record<string, unknown>>;
}

function harness(
  path: string,
  limits: Partial<{ stepTimeoutMs: number; runTimeoutMs: number }> = {},
): Harness {
  const store = Store.open(path);
  const runbookRepo = new RunbookRepo(store);
  const jobRepo = new JobRepo(store);
  const scheduleRepo = new ScheduleRepo(store);
  const jobs: Job[] = [];
  const schedules: ScheduleUpdatedPayload[] = [];
  const timeline: Array<Record<string, unknown>> = [];
  const log = { info: () => undefined, warn: () => undefined };
  let scheduler: Scheduler | undefined;
  const runner = new JobRunner({
    jobRepo,
    publish: (_type, payload: JobUpdatedPayload) => jobs.push(payload.job),
    log,
    limits: {
      stepTimeoutMs: limits.stepTimeoutMs ?? 5000,
      runTimeoutMs: limits.runTimeoutMs ?? 60_000,
      maxOutputBytes: 4096,
      maxConcurrent: 2,
    },
    timeline: { record: (input) => timeline.push(input) },
    onFinished: (job) => scheduler?.jobFinished(job),
    killGraceMs: 300,
    progressIntervalMs: 100,
  });
  scheduler = new Scheduler({
    runbookRepo,
    scheduleRepo,
    runner,
    publish: (_t, p) => schedules.push(p),
    log,
    tickMs: 200,
  });
  return { store, runbookRepo, jobRepo, scheduleRepo, runner, scheduler, jobs, schedules, timeline };
}

const finished = async (h: Harness, id: string): Promise<Job> => {
  await waitUntil(
    () => h.jobs.some((j) => j.id === id && (j.status === "succeeded" || j.status === "failed")),
    10_000,
  );
  return h.jobRepo.job(id)!;
};

/** Runbook "rb": one step that runs `true`. */
function insertQuickRunbook(h: Harness): void {
  h.runbookRepo.insertRunbook({
    id: "rb",
    name: "Quick",
    description: "",
    enabled: true,
    timeoutSeconds: 0,
    steps: [{ type: "command", title: "q", command: "true" }],
  });
}

/** Runbook "rb" and a once schedule of it due in about a second. */
function insertOnceInASecond(h: Harness, id: string): void {
  insertQuickRunbook(h);
  const at = `${new Date(Date.now() + 1000).toISOString().slice(0, 19)}Z`;
  h.scheduleRepo.insertSchedule({
    id,
    runbookId: "rb",
    name: "once",
    scheduleType: "once",
    cronExpr: "",
    timezone: "UTC",
    runAt: at,
    enabled: true,
    nextRunAt: at,
  });
}

describe("runner and scheduler", () => {
  test("a run publishes ops.job.updated when queued, started, at each step and at the end", async () => {
    const h = harness(join(tempDir(), "s.db"));
    h.runbookRepo.insertRunbook({
      id: "rb",
      name: "Two steps",
      description: "",
      enabled: true,
      timeoutSeconds: 0,
      steps: [
        { type: "command", title: "one", command: "echo one" },
        { type: "manual", title: "two", description: "look" },
      ],
    });
    const job = h.runner.start(h.runbookRepo.runbook("rb")!, "manual");
    assert.equal(job.status, "queued");
    assert.equal(job.currentStep, "one");
    const done = await finished(h, job.id);
    assert.equal(done.status, "succeeded");
    assert.ok(done.startedAt, "startedAt survives the finish (Appendix A)");
    assert.ok(done.finishedAt);
    assert.deepEqual(
      done.stepResults.map((r) => [r.stepIndex, r.title, r.output, r.error]),
      [
        [0, "one", "one\n", ""],
        [1, "two", "look", ""],
      ],
    );
    const mine = h.jobs.filter((j) => j.id === job.id);
    assert.deepEqual(
      mine.map((j) => [j.status, j.completedSteps, j.currentStep]),
      [
        ["queued", 0, "one"],
        ["running", 0, "one"],
        ["running", 0, "one"],
        ["running", 1, "one"],
        ["running", 1, "two"],
        ["succeeded", 2, "two"],
      ],
    );
    assert.equal(h.timeline.at(-1)?.eventType, "runbook.succeeded");
    h.store.close();
  });

  test("a running step's output is published as it comes (runningStep), and gone once the step ends", async () => {
    const h = harness(join(tempDir(), "s.db"));
    h.runbookRepo.insertRunbook({
      id: "rb",
      name: "Talks",
      description: "",
      enabled: true,
      timeoutSeconds: 0,
      steps: [{ type: "command", title: "talk", command: "echo first; sleep 0.5; echo second; sleep 0.5" }],
    });
    const job = h.runner.start(h.runbookRepo.runbook("rb")!, "manual");
    await waitUntil(() => h.jobs.some((j) => j.id === job.id && j.runningStep?.outputTail === "first\n"));
    const live = h.runner.snapshot(job.id)!;
    assert.equal(live.runningStep?.title, "talk");
    assert.equal(live.runningStep?.stepIndex, 0);
    const done = await finished(h, job.id);
    assert.equal(done.runningStep, undefined);
    assert.equal(done.stepResults[0]?.output, "first\nsecond\n");
    assert.ok(h.jobs.some((j) => j.runningStep?.outputTail === "first\nsecond\n"));
    assert.equal(h.jobs.filter((j) => j.id === job.id).at(-1)?.runningStep, undefined);
    h.store.close();
  });

  test("the first failing step ends the run; step and run limits", async () => {
    const h = harness(join(tempDir(), "s.db"));
    h.runbookRepo.insertRunbook({
      id: "fail",
      name: "Fails",
      description: "",
      enabled: true,
      timeoutSeconds: 0,
      steps: [
        { type: "command", title: "bad", command: "echo oops >&2; exit 2" },
        { type: "command", title: "never", command: "echo never" },
      ],
    });
    h.runbookRepo.insertRunbook({
      id: "slow",
      name: "Slow",
      description: "",
      enabled: true,
      timeoutSeconds: 0,
      steps: [{ type: "command", title: "sleeps", command: "sleep 30", timeoutSeconds: 1 }],
    });
    h.runbookRepo.insertRunbook({
      id: "long",
      name: "Long",
      description: "",
      enabled: true,
      timeoutSeconds: 1,
      steps: [
        { type: "command", title: "a", command: "sleep 0.6" },
        { type: "command", title: "b", command: "sleep 30" },
      ],
    });
    const failed = await finished(h, h.runner.start(h.runbookRepo.runbook("fail")!, "manual").id);
    assert.equal(failed.status, "failed");
    assert.equal(failed.error, 'step 1 "bad" failed: exit status 2');
    assert.equal(failed.stepResults.length, 1);
    assert.equal(failed.stepResults[0]?.output, "oops\n");
    assert.equal(h.timeline.at(-1)?.severity, "error");

    const timedOut = await finished(h, h.runner.start(h.runbookRepo.runbook("slow")!, "manual").id);
    assert.equal(timedOut.error, 'step 1 "sleeps" failed: timed out after 1s');

    const runLimit = await finished(h, h.runner.start(h.runbookRepo.runbook("long")!, "manual").id);
    assert.equal(runLimit.error, 'step 2 "b" failed: run timed out after 1s');
    assert.equal(runLimit.completedSteps, 2);
    h.store.close();
  });

  test("cancel: a running job ends as failed, a finished one is left alone", async () => {
    const h = harness(join(tempDir(), "s.db"));
    h.runbookRepo.insertRunbook({
      id: "rb",
      name: "Sleeps",
      description: "",
      enabled: true,
      timeoutSeconds: 0,
      steps: [{ type: "command", title: "zz", command: "sleep 30" }],
    });
    const job = h.runner.start(h.runbookRepo.runbook("rb")!, "manual");
    await waitUntil(() => h.jobs.some((j) => j.id === job.id && j.status === "running"));
    const cancelled = await h.runner.cancel(job.id);
    assert.equal(cancelled?.status, "failed");
    assert.equal(cancelled?.error, 'step 1 "zz" failed: cancelled by request');
    assert.equal(h.jobRepo.job(job.id)?.status, "failed");
    assert.equal(await h.runner.cancel(job.id), undefined);
    h.store.close();
  });

  test("at most maxConcurrent jobs run; the others wait queued and a queued one can be cancelled", async () => {
    const h = harness(join(tempDir(), "s.db"));
    h.runbookRepo.insertRunbook({
      id: "rb",
      name: "Sleeps",
      description: "",
      enabled: true,
      timeoutSeconds: 0,
      steps: [{ type: "command", title: "zz", command: "sleep 30" }],
    });
    const rb = h.runbookRepo.runbook("rb")!;
    const [a, b, c, d] = [1, 2, 3, 4].map(() => h.runner.start(rb, "manual"));
    await waitUntil(
      () => h.jobs.filter((j) => j.status === "running" && j.stepResults.length === 0).length >= 2,
    );
    await sleep(100);
    assert.equal(h.runner.snapshot(c!.id)?.status, "queued");
    assert.equal(h.runner.snapshot(d!.id)?.status, "queued");
    const cancelledQueued = await h.runner.cancel(d!.id);
    assert.equal(cancelledQueued?.status, "failed");
    assert.equal(cancelledQueued?.error, "cancelled by request");
    assert.equal(cancelledQueued?.startedAt, undefined);
    await h.runner.cancel(a!.id);
    await waitUntil(() => h.runner.snapshot(c!.id)?.status === "running");
    await h.runner.close();
    for (const job of [b, c]) {
      const stored = h.jobRepo.job(job!.id)!;
      assert.equal(stored.status, "failed");
      assert.equal(stored.error, 'step 1 "zz" failed: interrupted: the server stopped');
    }
    h.store.close();
  });

  test("a cron schedule keeps firing; each run records its outcome; a manual trigger does too", async () => {
    const h = harness(join(tempDir(), "s.db"));
    insertQuickRunbook(h);
    const now = new Date();
    h.scheduleRepo.insertSchedule({
      id: "s1",
      runbookId: "rb",
      name: "every second",
      scheduleType: "cron",
      cronExpr: "* * * * * *",
      timezone: "Europe/Paris",
      runAt: "",
      enabled: true,
      nextRunAt: `${new Date(now.getTime() + 1000).toISOString().slice(0, 19)}Z`,
    });
    h.scheduler.start();
    await waitUntil(
      () => h.schedules.filter((p) => p.action === "run_completed" && p.schedule === "s1").length >= 3,
      8000,
    );
    h.scheduler.stop();
    const s = h.scheduleRepo.schedule("s1")!;
    assert.equal(s.enabled, true);
    assert.notEqual(s.nextRunAt, "", "next_run_at is not wiped by a finished run (Appendix A)");
    assert.ok(["succeeded", "running"].includes(s.lastRunStatus));
    const runs = h.jobRepo.latestJobs(20).filter((j) => j.scheduleId === "s1");
    assert.ok(runs.length >= 3);
    assert.ok(runs.every((j) => j.source === "scheduler"));
    assert.equal(h.timeline.find((t) => t.eventType === "runbook.succeeded")?.source, "scheduler");

    const triggered = h.scheduler.trigger(h.scheduleRepo.schedule("s1")!);
    await finished(h, triggered.id);
    await waitUntil(() => h.scheduleRepo.schedule("s1")?.lastRunStatus === "succeeded");
    h.store.close();
  });

  test("with nothing scheduled the scheduler sets no timer; a new schedule wakes it", async () => {
    const h = harness(join(tempDir(), "idle.db"));
    let looks = 0;
    const earliest = h.scheduleRepo.earliestNextRun.bind(h.scheduleRepo);
    h.scheduleRepo.earliestNextRun = () => {
      looks++;
      return earliest();
    };
    h.scheduler.start();
    await sleep(700);
    assert.equal(looks, 1, "one look at start, none every tick (200 ms here)");
    insertOnceInASecond(h, "s1");
    h.scheduler.reschedule();
    await waitUntil(() => h.schedules.some((p) => p.action === "run_completed" && p.schedule === "s1"), 8000);
    h.scheduler.stop();
    h.store.close();
  });

  test("a fire while the schedule's previous run still goes is skipped, not piled up", async () => {
    const h = harness(join(tempDir(), "s.db"));
    h.runbookRepo.insertRunbook({
      id: "rb",
      name: "Slow",
      description: "",
      enabled: true,
      timeoutSeconds: 0,
      steps: [{ type: "command", title: "slow", command: "sleep 2.2" }],
    });
    h.scheduleRepo.insertSchedule({
      id: "s1",
      runbookId: "rb",
      name: "every second",
      scheduleType: "cron",
      cronExpr: "* * * * * *",
      timezone: "UTC",
      runAt: "",
      enabled: true,
      nextRunAt: `${new Date(Date.now() + 1000).toISOString().slice(0, 19)}Z`,
    });
    h.scheduler.start();
    await waitUntil(() => h.schedules.some((p) => p.action === "skipped"), 5000);
    h.scheduler.stop();
    const running = h.jobRepo.latestJobs(10).filter((j) => j.status === "running" || j.status === "queued");
    assert.ok(running.length <= 1, "never two runs of one schedule at once");
    await h.runner.close();
    h.store.close();
  });

  test("a once schedule fires once and is disabled", async () => {
    const h = harness(join(tempDir(), "s.db"));
    insertOnceInASecond(h, "o1");
    h.scheduler.start();
    await waitUntil(() => h.schedules.some((p) => p.action === "run_completed"), 5000);
    await sleep(1200);
    h.scheduler.stop();
    const s = h.scheduleRepo.schedule("o1")!;
    assert.equal(s.enabled, false);
    assert.equal(s.nextRunAt, "");
    assert.equal(s.lastRunStatus, "succeeded");
    assert.equal(h.jobRepo.latestJobs(10).length, 1);
    h.store.close();
  });

  test("catch-up at start: a recent miss runs now, an old one moves on or is disabled", async () => {
    const h = harness(join(tempDir(), "s.db"));
    insertQuickRunbook(h);
    const iso = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;
    const base = { runbookId: "rb", runAt: "", enabled: true, timezone: "UTC" };
    h.scheduleRepo.insertSchedule({
      ...base,
      id: "recent",
      name: "a",
      scheduleType: "cron",
      cronExpr: "0 0 1 1 *",
      nextRunAt: iso(Date.now() - 3600_000),
    });
    h.scheduleRepo.insertSchedule({
      ...base,
      id: "oldcron",
      name: "b",
      scheduleType: "cron",
      cronExpr: "0 0 1 1 *",
      nextRunAt: iso(Date.now() - 3 * 86_400_000),
    });
    h.scheduleRepo.insertSchedule({
      ...base,
      id: "oldonce",
      name: "c",
      scheduleType: "once",
      cronExpr: "",
      nextRunAt: iso(Date.now() - 3 * 86_400_000),
    });
    h.scheduler.start();
    h.scheduler.stop();
    assert.equal(h.scheduleRepo.schedule("recent")?.lastRunStatus, "running");
    assert.ok(h.scheduleRepo.schedule("recent")!.nextRunAt > iso(Date.now()));
    assert.equal(h.scheduleRepo.schedule("oldcron")?.lastRunStatus, "");
    assert.ok(h.scheduleRepo.schedule("oldcron")!.nextRunAt > iso(Date.now()));
    assert.equal(h.scheduleRepo.schedule("oldonce")?.enabled, false);
    await h.runner.close();
    h.store.close();
  });

  test("a job left running by a killed process ends as failed with a reason at the next start", () => {
    const path = join(tempDir(), "s.db");
    const first = harness(path);
    first.jobRepo.insertJob({
      id: "j1",
      runbookId: "rb",
      runbookName: "RB",
      status: "running",
      totalSteps: 2,
      completedSteps: 1,
      currentStep: "b",
      error: "",
      stepResults: [],
      createdAt: "2026-01-01T00:00:00Z",
      startedAt: "2026-01-01T00:00:00Z",
    });
    first.store.close();
    const second = harness(path);
    const failed = second.runner.failInterrupted();
    assert.deepEqual(
      failed.map((j) => j.id),
      ["j1"],
    );
    const job = second.jobRepo.job("j1")!;
    assert.equal(job.status, "failed");
    assert.equal(job.error, Reasons.restart);
    assert.equal(job.startedAt, "2026-01-01T00:00:00Z");
    assert.ok(job.finishedAt);
    second.store.close();
  });
});

describe("orphaned step processes", () => {
  test("only the recorded group is ended: same leader start time and boot", async () => {
    const child = spawn("/bin/sh", ["-c", "sleep 300 & sleep 300"], { detached: true, stdio: "ignore" });
    const pgid = child.pid!;
    try {
      await waitUntil(() => identify(pgid) !== undefined);
      const recorded = identify(pgid)!;
      assert.equal(endOrphanGroup({ ...recorded, startTime: recorded.startTime + 1 }), 0);
      assert.equal(endOrphanGroup({ ...recorded, bootId: "another-boot" }), 0);
      assert.ok(groupAlive(pgid));
      assert.equal(endOrphanGroup(recorded), 1);
      await waitUntil(() => !isProcessAlive(pgid));
    } finally {
      try {
        process.kill(-pgid, "SIGKILL");
      } catch {
        // gone
      }
    }
  });
});
