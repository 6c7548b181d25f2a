// Runbooks, jobs and schedules against the real server (spec §1.8, §8, Appendix A): CRUD and its errors, real
// shell steps that succeed, fail, time out and are cancelled (with their whole process tree gone afterwards),
// `ops.job.updated` for every step, per-second cron schedules that keep firing, time zones, triggers, and a
// server stopped or killed in the middle of a job (the job ends as failed with a reason, never stuck running).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";
import type { EventEnvelope } from "../../src/protocol/events.js";
import type {
  Job,
  JobUpdatedPayload,
  Runbook,
  Schedule,
  ScheduleUpdatedPayload,
} from "../../src/protocol/opsRunbooks.js";
import { isProcessAlive } from "../../src/server/pidAlive.js";
import { type ServerHandle, startServer } from "./serverFixture.js";
import { startTmux, type TmuxFixture, waitFor } from "./tmuxFixture.js";

let tmux: TmuxFixture;
let server: ServerHandle;
let events: { messages: EventEnvelope[]; ws: WebSocket };
const dirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "sentinel-rb-test-"));
  dirs.push(dir);
  return dir;
}

before(async () => {
  tmux = await startTmux();
  server = await startServer({ tmuxSocket: tmux.socket });
  events = await subscribe(server);
});

after(async () => {
  events?.ws.close();
  await server?.stop();
  await tmux?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function subscribe(h: ServerHandle) {
  const ws = new WebSocket(`${h.url.replace("http", "ws")}/ws/events`, ["sentinel.v1"], {
    headers: { authorization: `Bearer ${h.token}` },
  });
  const messages: EventEnvelope[] = [];
  ws.on("message", (data) => {
    const message = JSON.parse(data.toString()) as EventEnvelope;
    if (message.type.startsWith("ops.job") || message.type.startsWith("ops.schedule")) messages.push(message);
  });
  ws.on("error", () => undefined);
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  return { ws, messages };
}

const jobEvents = (id: string) =>
  events.messages
    .filter((m) => m.type === "ops.job.updated")
    .map((m) => (m.payload as JobUpdatedPayload).job)
    .filter((j) => j.id === id);

const scheduleEvents = () =>
  events.messages
    .filter((m) => m.type === "ops.schedule.updated")
    .map((m) => m.payload as ScheduleUpdatedPayload);

async function call<T>(h: ServerHandle, method: string, path: string, json?: unknown) {
  const res = await h.api(path, { method, ...(json !== undefined ? { json } : {}) });
  const text = await res.text();
  const body = text ? JSON.parse(text) : undefined;
  return {
    status: res.status,
    data: body?.data as T,
    error: body?.error as { code: string; message: string },
  };
}

async function expectError(
  promise: Promise<{ status: number; error: { code: string; message: string } }>,
  status: number,
  code: string,
  message?: string,
) {
  const r = await promise;
  assert.equal(r.status, status, JSON.stringify(r.error));
  assert.equal(r.error.code, code);
  if (message !== undefined) assert.equal(r.error.message, message);
}

async function createRunbook(h: ServerHandle, body: Record<string, unknown>): Promise<Runbook> {
  const r = await call<{ runbook: Runbook }>(h, "POST", "/api/ops/runbooks", { enabled: true, ...body });
  assert.equal(r.status, 201, JSON.stringify(r.error));
  return r.data.runbook;
}

async function run(h: ServerHandle, runbookId: string): Promise<Job> {
  const r = await call<{ job: Job; timelineEvent?: { eventType: string }; globalRev: number }>(
    h,
    "POST",
    `/api/ops/runbooks/${runbookId}/run`,
  );
  assert.equal(r.status, 202, JSON.stringify(r.error));
  assert.equal(r.data.job.status, "queued");
  assert.ok(r.data.globalRev > 1_700_000_000_000, "ops globalRev is Date.now()");
  return r.data.job;
}

async function finished(h: ServerHandle, id: string, timeoutMs = 10_000): Promise<Job> {
  return waitFor<Job | undefined>(
    async () => {
      const r = await call<{ job: Job }>(h, "GET", `/api/ops/jobs/${id}`);
      return r.data?.job.status === "succeeded" || r.data?.job.status === "failed" ? r.data.job : undefined;
    },
    timeoutMs,
    `job ${id} to finish`,
  ) as Promise<Job>;
}

const readPids = (file: string): number[] => {
  try {
    return readFileSync(file, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
};

/**
 * A step that starts a process tree (a child shell with its sleep, another sleep) and writes their pids; with
 * `stubborn` the child shell and its sleep ignore SIGTERM, so only SIGKILL ends them.
 */
const treeStep = (pidFile: string, stubborn = false) =>
  `sh -c '${stubborn ? 'trap "" TERM; ' : ""}sleep 300' & echo $! > ${pidFile}; sleep 300 & echo $! >> ${pidFile}; echo $$ >> ${pidFile}; wait`;

describe("runbook CRUD", () => {
  test("list holds the seeded read-only runbook; create, update, delete", async () => {
    const list = await call<{ runbooks: Runbook[]; jobs: Job[]; schedules: Schedule[] }>(
      server,
      "GET",
      "/api/ops/runbooks",
    );
    assert.equal(list.status, 200);
    assert.ok(list.data.runbooks.some((r) => r.id === "sentinel.host.diagnostics"));
    assert.ok(Array.isArray(list.data.jobs));
    assert.ok(Array.isArray(list.data.schedules));

    // Go's decoder matches keys case-insensitively; a missing `enabled` is false.
    const created = await call<{ runbook: Runbook }>(server, "POST", "/api/ops/runbooks", {
      ID: "crud.one",
      Name: "CRUD one",
      description: "first",
      steps: [
        { type: "command", title: "Say hi", command: "echo hi" },
        { type: "check", title: "Check", check: "true" },
        { type: "manual", title: "Look", description: "read the output" },
      ],
    });
    assert.equal(created.status, 201);
    const rb = created.data.runbook;
    assert.equal(rb.id, "crud.one");
    assert.equal(rb.enabled, false);
    assert.deepEqual(rb.steps[2], { type: "manual", title: "Look", description: "read the output" });
    assert.match(rb.createdAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);

    const generated = await createRunbook(server, {
      name: "No id",
      steps: [{ type: "command", command: "true" }],
    });
    assert.match(generated.id, /^[0-9a-f-]{36}$/);
    assert.equal(generated.steps[0]?.title, "true");

    await expectError(
      call(server, "POST", "/api/ops/runbooks", { id: "crud.one", name: "dup", steps: [{ type: "manual" }] }),
      409,
      "OPS_RUNBOOK_EXISTS",
    );

    const updated = await call<{ runbook: Runbook }>(server, "PUT", "/api/ops/runbooks/crud.one", {
      id: "ignored",
      name: "CRUD one, renamed",
      enabled: true,
      steps: [{ type: "command", title: "only", command: "echo only", timeoutSeconds: 5 }],
      timeoutSeconds: 60,
    });
    assert.equal(updated.status, 200);
    assert.equal(updated.data.runbook.id, "crud.one");
    assert.equal(updated.data.runbook.name, "CRUD one, renamed");
    assert.equal(updated.data.runbook.timeoutSeconds, 60);
    assert.deepEqual(updated.data.runbook.steps, [
      { type: "command", title: "only", command: "echo only", timeoutSeconds: 5 },
    ]);

    const removed = await call<{ removed: string }>(server, "DELETE", "/api/ops/runbooks/crud.one");
    assert.deepEqual(removed.data, { removed: "crud.one" });
    await expectError(call(server, "DELETE", "/api/ops/runbooks/crud.one"), 404, "OPS_RUNBOOK_NOT_FOUND");
    await call(server, "DELETE", `/api/ops/runbooks/${generated.id}`);
  });

  test("bad inputs are clear 4xx with the spec's codes, never 500", async () => {
    const post = (json: unknown) => call(server, "POST", "/api/ops/runbooks", json);
    const ok = [{ type: "command", command: "true" }];
    await expectError(post({ name: "", steps: ok }), 400, "INVALID_REQUEST", "runbook name is required");
    await expectError(
      post({ name: "x", steps: [] }),
      400,
      "INVALID_REQUEST",
      "runbook needs at least one step",
    );
    await expectError(post({ name: "x" }), 400, "INVALID_REQUEST", "runbook needs at least one step");
    await expectError(
      post({ name: "x", steps: [{ type: "ssh", command: "x" }] }),
      400,
      "INVALID_REQUEST",
      "step 1: type must be command, check or manual",
    );
    await expectError(
      post({ name: "x", steps: [{ type: "command", command: "" }] }),
      400,
      "INVALID_REQUEST",
      "step 1: command is required",
    );
    await expectError(
      post({ name: "x", steps: ok, color: "red" }),
      400,
      "INVALID_REQUEST",
      "invalid json body",
    );
    await expectError(post({ name: ["x"], steps: ok }), 400, "INVALID_REQUEST", "invalid json body");
    await expectError(post("[1,2]"), 400, "INVALID_REQUEST", "invalid json body");
    await expectError(post("{"), 400, "INVALID_REQUEST", "invalid json body");
    await expectError(post({ id: "../etc", name: "x", steps: ok }), 400, "INVALID_REQUEST");
    await expectError(
      call(server, "PUT", "/api/ops/runbooks/nope", { name: "x", steps: ok }),
      404,
      "OPS_RUNBOOK_NOT_FOUND",
    );
    const rb = await createRunbook(server, { id: "bad.inputs", name: "B", steps: ok });
    await expectError(
      call(server, "PUT", `/api/ops/runbooks/${rb.id}`, { name: " ", steps: ok }),
      400,
      "INVALID_REQUEST",
      "runbook name is required",
    );
    await expectError(call(server, "POST", "/api/ops/runbooks/nope/run"), 404, "OPS_RUNBOOK_NOT_FOUND");
    await expectError(call(server, "GET", "/api/ops/jobs/nope"), 404, "OPS_JOB_NOT_FOUND");
    await expectError(call(server, "DELETE", "/api/ops/jobs/nope"), 404, "OPS_JOB_NOT_FOUND");
    await expectError(call(server, "POST", "/api/ops/jobs/nope/cancel"), 404, "OPS_JOB_NOT_FOUND");
  });
});

describe("runbook runs", () => {
  test("success: per-step output, ops.job.updated at every step, timeline start event", async () => {
    await createRunbook(server, {
      id: "run.ok",
      name: "Runs fine",
      steps: [
        { type: "command", title: "out and err", command: "echo to-out; echo to-err >&2" },
        { type: "check", title: "check", check: "test 1 -eq 1" },
        { type: "manual", title: "manual", description: "nothing to do" },
        {
          type: "command",
          title: "environment",
          command:
            'echo "token=$(printenv SENTINEL_TOKEN || echo unset) step=$SENTINEL_STEP job=$SENTINEL_JOB_ID"; pwd',
        },
      ],
    });
    const response = await call<{ job: Job; timelineEvent?: { eventType: string; source: string } }>(
      server,
      "POST",
      "/api/ops/runbooks/run.ok/run",
    );
    assert.equal(response.status, 202);
    assert.equal(response.data.timelineEvent?.eventType, "runbook.started");
    assert.equal(response.data.timelineEvent?.source, "runbook");
    const job = await finished(server, response.data.job.id);
    assert.equal(job.status, "succeeded");
    assert.equal(job.error, "");
    assert.equal(job.completedSteps, 4);
    assert.ok(job.startedAt && job.finishedAt, "startedAt is kept on finish (Appendix A)");
    assert.deepEqual(
      job.stepResults.map((r) => [r.stepIndex, r.type, r.output, r.error]),
      [
        [0, "command", "to-out\nto-err\n", ""],
        [1, "check", "", ""],
        [2, "manual", "nothing to do", ""],
        // The server's token is not in a step's environment; steps start in the home directory.
        [3, "command", `token=unset step=4 job=${job.id}\n${homedir()}\n`, ""],
      ],
    );
    await waitFor(() => jobEvents(job.id).at(-1)?.status === "succeeded", 5000, "the final job event");
    const seen = jobEvents(job.id);
    assert.equal(seen[0]?.status, "queued");
    // One event per step start and per step end, besides queued/running/finished.
    for (const title of ["out and err", "check", "manual", "environment"]) {
      assert.ok(seen.some((j) => j.status === "running" && j.currentStep === title));
    }
    assert.deepEqual(
      [...new Set(seen.map((j) => j.completedSteps))],
      [0, 1, 2, 3, 4],
      "completedSteps advances one step at a time",
    );
    const list = await call<{ jobs: Job[] }>(server, "GET", "/api/ops/runbooks");
    assert.equal(list.data.jobs[0]?.id, job.id);
    // The ops timeline has the start (resource: the runbook) and the finish (resource: the job).
    const timeline = await call<{ events: Array<{ eventType: string; resource: string; metadata: string }> }>(
      server,
      "GET",
      "/api/ops/timeline?source=runbook&limit=50",
    );
    assert.equal(timeline.status, 200);
    const started = timeline.data.events.find(
      (e) => e.eventType === "runbook.started" && e.resource === "run.ok",
    );
    assert.ok(started);
    assert.equal(JSON.parse(started.metadata).jobId, job.id);
    assert.ok(timeline.data.events.some((e) => e.eventType === "runbook.succeeded" && e.resource === job.id));
  });

  test("a running step's output arrives live in ops.job.updated (runningStep) and in GET", async () => {
    await createRunbook(server, {
      id: "run.live",
      name: "Talks",
      steps: [{ type: "command", title: "talk", command: "for i in 1 2 3; do echo line$i; sleep 0.7; done" }],
    });
    const job = await run(server, "run.live");
    await waitFor(
      () => jobEvents(job.id).some((j) => j.runningStep?.outputTail.startsWith("line1\n")),
      5000,
      "live output in an event",
    );
    const live = await call<{ job: Job }>(server, "GET", `/api/ops/jobs/${job.id}`);
    assert.equal(live.data.job.status, "running");
    assert.equal(live.data.job.runningStep?.title, "talk");
    assert.match(live.data.job.runningStep?.outputTail ?? "", /^line1\n/);
    const done = await finished(server, job.id);
    assert.equal(done.runningStep, undefined);
    assert.equal(done.stepResults[0]?.output, "line1\nline2\nline3\n");
  });

  test("failure: the first failing step ends the run, later steps do not run", async () => {
    await createRunbook(server, {
      id: "run.fail",
      name: "Fails",
      steps: [
        { type: "command", title: "ok", command: "echo fine" },
        { type: "command", title: "breaks", command: "echo broken >&2; exit 3" },
        { type: "command", title: "never", command: "echo never" },
      ],
    });
    // No body is read: an empty one sent as JSON is fine (clients send the header on every POST).
    const res = await server.api("/api/ops/runbooks/run.fail/run", {
      method: "POST",
      headers: { "content-type": "application/json" },
    });
    assert.equal(res.status, 202);
    const job = await finished(server, ((await res.json()) as { data: { job: Job } }).data.job.id);
    // History of one runbook, and one runbook by id.
    const history = await call<{ jobs: Job[] }>(
      server,
      "GET",
      "/api/ops/jobs?runbookId=run.fail&status=failed",
    );
    assert.equal(history.status, 200);
    assert.deepEqual(
      history.data.jobs.map((j) => j.id),
      [job.id],
    );
    const all = await call<{ jobs: Job[] }>(server, "GET", "/api/ops/jobs?limit=2");
    assert.equal(all.data.jobs.length, 2);
    assert.equal(all.data.jobs[0]?.id, job.id);
    await expectError(call(server, "GET", "/api/ops/jobs?limit=0"), 400, "INVALID_REQUEST");
    await expectError(call(server, "GET", "/api/ops/jobs?status=done"), 400, "INVALID_REQUEST");
    const one = await call<{ runbook: Runbook }>(server, "GET", "/api/ops/runbooks/run.fail");
    assert.equal(one.data.runbook.steps.length, 3);
    await expectError(call(server, "GET", "/api/ops/runbooks/nope"), 404, "OPS_RUNBOOK_NOT_FOUND");
    assert.equal(job.status, "failed");
    assert.equal(job.error, 'step 2 "breaks" failed: exit status 3');
    assert.equal(job.stepResults.length, 2);
    assert.equal(job.stepResults[1]?.output, "broken\n");
    assert.equal(job.stepResults[1]?.exitCode, 3);
  });

  test("timeout: the step's limit ends it and its whole process tree", async () => {
    const pidFile = join(tempDir(), "pids");
    await createRunbook(server, {
      id: "run.timeout",
      name: "Times out",
      steps: [{ type: "command", title: "hangs", command: treeStep(pidFile, true), timeoutSeconds: 1 }],
    });
    const started = Date.now();
    const job = await finished(server, (await run(server, "run.timeout")).id);
    assert.equal(job.status, "failed");
    assert.equal(job.error, 'step 1 "hangs" failed: timed out after 1s');
    assert.ok(Date.now() - started < 8000);
    const pids = readPids(pidFile);
    assert.equal(pids.length, 3);
    await waitFor(() => pids.every((pid) => !isProcessAlive(pid)), 5000, "the step's processes to be gone");
  });

  test("run limit: the runbook's limit ends the running step", async () => {
    await createRunbook(server, {
      id: "run.limit",
      name: "Run limit",
      timeoutSeconds: 1,
      steps: [
        { type: "command", title: "quick", command: "true" },
        { type: "command", title: "slow", command: "sleep 30" },
      ],
    });
    const job = await finished(server, (await run(server, "run.limit")).id);
    assert.equal(job.error, 'step 2 "slow" failed: run timed out after 1s');
  });

  test("cancel: the job ends as failed, its process tree is gone; deleting a job", async () => {
    const pidFile = join(tempDir(), "pids");
    await createRunbook(server, {
      id: "run.cancel",
      name: "Cancelled",
      steps: [
        { type: "command", title: "tree", command: treeStep(pidFile) },
        { type: "command", title: "after", command: "echo never" },
      ],
    });
    const job = await run(server, "run.cancel");
    await waitFor(() => readPids(pidFile).length === 3, 5000, "the step's processes");
    const running = await call<{ job: Job }>(server, "GET", `/api/ops/jobs/${job.id}`);
    assert.equal(running.data.job.status, "running");
    assert.equal(running.data.job.currentStep, "tree");
    const cancelled = await call<{ job: Job }>(server, "POST", `/api/ops/jobs/${job.id}/cancel`);
    assert.equal(cancelled.status, 200);
    assert.equal(cancelled.data.job.status, "failed");
    assert.equal(cancelled.data.job.error, 'step 1 "tree" failed: cancelled by request');
    assert.equal(cancelled.data.job.stepResults.length, 1);
    const pids = readPids(pidFile);
    await waitFor(
      () => pids.every((pid) => !isProcessAlive(pid)),
      5000,
      "the cancelled step's processes to be gone",
    );
    await expectError(
      call(server, "POST", `/api/ops/jobs/${job.id}/cancel`),
      409,
      "OPS_JOB_FINISHED",
      "job already finished",
    );
    const deleted = await call<{ deleted: boolean }>(server, "DELETE", `/api/ops/jobs/${job.id}`);
    assert.deepEqual(deleted.data, { deleted: true });
    await expectError(call(server, "GET", `/api/ops/jobs/${job.id}`), 404, "OPS_JOB_NOT_FOUND");
  });
});

describe("schedules", () => {
  const iso = (date: Date) => `${date.toISOString().slice(0, 19)}Z`;

  test("a per-second cron schedule fires again and again, then update, trigger and delete", async () => {
    await createRunbook(server, {
      id: "sched.rb",
      name: "Scheduled",
      steps: [{ type: "command", command: "echo tick" }],
    });
    await createRunbook(server, {
      id: "sched.other",
      name: "Other",
      steps: [{ type: "command", command: "echo tock" }],
    });
    const created = await call<{ schedule: Schedule }>(server, "POST", "/api/ops/schedules", {
      runbookId: "sched.rb",
      name: "every second",
      scheduleType: "cron",
      cronExpr: "* * * * * *",
      timezone: "Europe/Paris",
      enabled: true,
    });
    assert.equal(created.status, 201, JSON.stringify(created.error));
    const schedule = created.data.schedule;
    assert.match(schedule.id, /^[0-9a-f]{20}$/);
    assert.equal(schedule.timezone, "Europe/Paris");
    assert.ok(schedule.nextRunAt > iso(new Date(Date.now() - 2000)), schedule.nextRunAt);
    await waitFor(
      () =>
        scheduleEvents().some(
          (p) => p.action === "created" && typeof p.schedule === "object" && p.schedule.id === schedule.id,
        ),
      3000,
      "the created event",
    );

    const completed = () =>
      scheduleEvents().filter((p) => p.action === "run_completed" && p.schedule === schedule.id);
    await waitFor(() => completed().length >= 3, 10_000, "three scheduled runs");
    const now = await call<{ schedules: Schedule[] }>(server, "GET", "/api/ops/schedules");
    const current = now.data.schedules.find((s) => s.id === schedule.id)!;
    assert.equal(current.enabled, true);
    assert.notEqual(current.nextRunAt, "", "a finished run does not wipe next_run_at (Appendix A)");
    assert.notEqual(current.lastRunAt, "");
    const runs = (await call<{ jobs: Job[] }>(server, "GET", "/api/ops/runbooks")).data.jobs.filter(
      (j) => j.scheduleId === schedule.id,
    );
    assert.ok(runs.length >= 3, JSON.stringify(runs));
    assert.ok(
      runs.every((j) => j.runbookId === "sched.rb" && j.source === "scheduler"),
      JSON.stringify(runs.map((j) => [j.runbookId, j.source])),
    );
    assert.ok(
      scheduleEvents().some((p) => p.action === "triggered" && p.schedule === schedule.id),
      "triggered events",
    );

    // PUT moves the schedule to another runbook (the seed ignored runbookId) and can disable it.
    const updated = await call<{ schedule: Schedule }>(server, "PUT", `/api/ops/schedules/${schedule.id}`, {
      runbookId: "sched.other",
      name: "every second, disabled",
      scheduleType: "cron",
      cronExpr: "* * * * * *",
      timezone: "UTC",
      enabled: false,
    });
    assert.equal(updated.status, 200);
    assert.equal(updated.data.schedule.runbookId, "sched.other");
    assert.equal(updated.data.schedule.enabled, false);
    await waitFor(() => scheduleEvents().some((p) => p.action === "updated"), 3000, "the updated event");
    await new Promise((r) => setTimeout(r, 500));
    const quietFrom = completed().length;
    await new Promise((r) => setTimeout(r, 1500));
    // A run that had already started may still complete; no new ones start.
    assert.ok(completed().length <= quietFrom + 1, "a disabled schedule does not fire");

    // A manual trigger runs the new runbook now, keeps nextRunAt/enabled, and records its outcome.
    const triggered = await call<{ job: Job }>(server, "POST", `/api/ops/schedules/${schedule.id}/trigger`);
    assert.equal(triggered.status, 202);
    assert.equal(triggered.data.job.runbookId, "sched.other");
    await finished(server, triggered.data.job.id);
    await waitFor(
      async () => {
        const s = (await call<{ schedules: Schedule[] }>(server, "GET", "/api/ops/schedules")).data.schedules;
        return s.find((x) => x.id === schedule.id)?.lastRunStatus === "succeeded";
      },
      5000,
      "the trigger's outcome on the schedule",
    );

    const removed = await call<{ removed: string }>(server, "DELETE", `/api/ops/schedules/${schedule.id}`);
    assert.deepEqual(removed.data, { removed: schedule.id });
    await waitFor(
      () => scheduleEvents().some((p) => p.action === "deleted" && p.removed === schedule.id),
      3000,
      "the deleted event",
    );
    await expectError(call(server, "DELETE", `/api/ops/schedules/${schedule.id}`), 404, "SCHEDULE_NOT_FOUND");
    await expectError(
      call(server, "POST", `/api/ops/schedules/${schedule.id}/trigger`),
      404,
      "SCHEDULE_NOT_FOUND",
    );
  });

  test("time zones: the cron fields are read in the schedule's zone", async () => {
    await createRunbook(server, { id: "tz.rb", name: "TZ", steps: [{ type: "manual", description: "x" }] });
    for (const timezone of ["America/New_York", "Asia/Kolkata", "UTC"]) {
      const r = await call<{ schedule: Schedule }>(server, "POST", "/api/ops/schedules", {
        runbookId: "tz.rb",
        name: `nine in ${timezone}`,
        scheduleType: "cron",
        cronExpr: "30 9 * * *",
        timezone,
        enabled: true,
      });
      assert.equal(r.status, 201);
      const next = new Date(r.data.schedule.nextRunAt);
      assert.match(r.data.schedule.nextRunAt, /Z$/);
      const local = new Intl.DateTimeFormat("en-GB", {
        timeZone: timezone,
        hour: "2-digit",
        minute: "2-digit",
        hourCycle: "h23",
      }).format(next);
      assert.equal(local, "09:30", timezone);
      assert.ok(next.getTime() > Date.now() && next.getTime() <= Date.now() + 86_400_000);
      await call(server, "DELETE", `/api/ops/schedules/${r.data.schedule.id}`);
    }
    // A once schedule stores runAt in UTC.
    const at = new Date(Date.now() + 3600_000);
    // The same instant written at +02:00: the wall clock two hours on (the date too, past 22:00 UTC).
    const offset = `${new Date(at.getTime() + 7200_000).toISOString().slice(0, 19)}+02:00`;
    const once = await call<{ schedule: Schedule }>(server, "POST", "/api/ops/schedules", {
      runbookId: "tz.rb",
      name: "once",
      scheduleType: "once",
      runAt: offset,
      enabled: true,
    });
    assert.equal(once.status, 201, JSON.stringify(once.error));
    assert.equal(once.data.schedule.runAt, iso(at));
    assert.equal(once.data.schedule.nextRunAt, iso(at));
    await call(server, "DELETE", `/api/ops/schedules/${once.data.schedule.id}`);
  });

  test("bad inputs: 400 INVALID_REQUEST with the spec's messages, 404 SCHEDULE_NOT_FOUND", async () => {
    await createRunbook(server, {
      id: "bad.sched",
      name: "B",
      steps: [{ type: "manual", description: "x" }],
    });
    const base = {
      runbookId: "bad.sched",
      name: "n",
      scheduleType: "cron",
      cronExpr: "0 * * * *",
      enabled: true,
    };
    const post = (json: unknown) => call(server, "POST", "/api/ops/schedules", json);
    await expectError(post({ ...base, runbookId: "" }), 400, "INVALID_REQUEST", "runbookId is required");
    await expectError(post({ ...base, name: "" }), 400, "INVALID_REQUEST", "name is required");
    await expectError(
      post({ ...base, scheduleType: "hourly" }),
      400,
      "INVALID_REQUEST",
      'scheduleType must be "cron" or "once"',
    );
    await expectError(post({ ...base, runbookId: "nope" }), 400, "INVALID_REQUEST", "runbook not found");
    await expectError(
      post({ ...base, cronExpr: "every minute" }),
      400,
      "INVALID_REQUEST",
      "invalid cron expression",
    );
    await expectError(post({ ...base, cronExpr: "" }), 400, "INVALID_REQUEST", "invalid cron expression");
    await expectError(
      post({ ...base, cronExpr: "61 * * * *" }),
      400,
      "INVALID_REQUEST",
      "invalid cron expression",
    );
    await expectError(
      post({ ...base, timezone: "Mars/Olympus" }),
      400,
      "INVALID_REQUEST",
      "invalid timezone",
    );
    await expectError(
      post({ ...base, scheduleType: "once", runAt: "tomorrow" }),
      400,
      "INVALID_REQUEST",
      "runAt must be a valid RFC3339 timestamp",
    );
    await expectError(
      post({ ...base, scheduleType: "once", runAt: "2020-01-01T00:00:00Z" }),
      400,
      "INVALID_REQUEST",
      "runAt must be in the future",
    );
    await expectError(post({ ...base, enabled: "yes" }), 400, "INVALID_REQUEST", "invalid json body");
    await expectError(
      call(server, "PUT", "/api/ops/schedules/0123456789abcdef0123", base),
      404,
      "SCHEDULE_NOT_FOUND",
    );
    // Deleting a runbook deletes its schedules (the seed left them to fire into nothing).
    const s = await call<{ schedule: Schedule }>(server, "POST", "/api/ops/schedules", base);
    await call(server, "DELETE", "/api/ops/runbooks/bad.sched");
    await expectError(
      call(server, "PUT", `/api/ops/schedules/${s.data.schedule.id}`, base),
      404,
      "SCHEDULE_NOT_FOUND",
    );
    await waitFor(
      () => scheduleEvents().some((p) => p.action === "deleted" && p.removed === s.data.schedule.id),
      3000,
      "the deleted event of the runbook's schedule",
    );
  });
});

describe("server stop and restart in the middle of a job", () => {
  test("a graceful stop ends the job as failed with a reason and kills its processes", async () => {
    const dataDir = tempDir();
    const pidFile = join(tempDir(), "pids");
    const h = await startServer({ tmuxSocket: tmux.socket, dataDir });
    await createRunbook(h, {
      id: "stop.rb",
      name: "Stop",
      steps: [{ type: "command", title: "tree", command: treeStep(pidFile, true) }],
    });
    const job = await run(h, "stop.rb");
    await waitFor(() => readPids(pidFile).length === 3, 5000, "the step's processes");
    // The server exits cleanly within its deadline even though part of the tree ignores SIGTERM.
    assert.equal(await h.stop("SIGTERM"), 0);
    const pids = readPids(pidFile);
    await waitFor(() => pids.every((pid) => !isProcessAlive(pid)), 5000, "the step's processes to be gone");
    const again = await startServer({ tmuxSocket: tmux.socket, dataDir });
    try {
      const r = await call<{ job: Job }>(again, "GET", `/api/ops/jobs/${job.id}`);
      assert.equal(r.data.job.status, "failed");
      assert.equal(r.data.job.error, 'step 1 "tree" failed: interrupted: the server stopped');
      assert.ok(r.data.job.finishedAt);
    } finally {
      await again.stop();
    }
  });

  test("a killed server's running job ends as failed at the next start, never stuck in running", async () => {
    const dataDir = tempDir();
    const pidFile = join(tempDir(), "pids");
    const h = await startServer({ tmuxSocket: tmux.socket, dataDir });
    await createRunbook(h, {
      id: "kill.rb",
      name: "Kill",
      steps: [{ type: "command", title: "tree", command: treeStep(pidFile) }],
    });
    const job = await run(h, "kill.rb");
    await waitFor(() => readPids(pidFile).length === 3, 5000, "the step's processes");
    await h.stop("SIGKILL");
    const pids = readPids(pidFile);
    // The step ran in its own process group, which outlives a SIGKILLed server ...
    assert.ok(pids.every(isProcessAlive), "the step's processes outlive the killed server");
    const again = await startServer({ tmuxSocket: tmux.socket, dataDir });
    try {
      // ... until the next start recognises the group (same boot, same leader start time) and ends it.
      await waitFor(
        () => pids.every((pid) => !isProcessAlive(pid)),
        5000,
        "the orphaned step's processes to be ended",
      );
      const r = await call<{ job: Job }>(again, "GET", `/api/ops/jobs/${job.id}`);
      assert.equal(r.data.job.status, "failed");
      assert.equal(r.data.job.error, "interrupted by a server restart");
      assert.ok(r.data.job.startedAt);
      assert.ok(r.data.job.finishedAt);
    } finally {
      await again.stop();
      for (const pid of pids) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // gone, as it should be
        }
      }
    }
  });
});
