// Recovery (spec §7, §1.10) against the real server and a real tmux on a private socket: a workspace of two
// sessions × three windows with split panes in different directories is snapshotted, the tmux server is killed,
// the sessions show as killed, and restores recreate them with the same windows, pane counts, layouts and working
// directories (checked with tmux itself); each conflict policy against a live session of the same name; a
// reboot (a changed boot id) against a session that merely ended; archive and DELETE; a server killed or stopped
// in the middle of a restore job leaves the job failed with a reason; bad inputs get the spec's 4xx errors.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";
import type { EventEnvelope } from "../../src/protocol/events.js";
import type {
  RecoveryJob,
  RecoveryOverview,
  RecoverySession,
  SessionSnapshot,
  SnapshotMeta,
} from "../../src/protocol/recovery.js";
import { layoutGeometry } from "../../src/server/recovery/layout.js";
import { type ServerHandle, startServer } from "./serverFixture.js";
import { startTmux, type TmuxFixture, waitFor } from "./tmuxFixture.js";

/** waitFor, typed for checks that answer undefined until they have their value. */
const until = async <T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs?: number,
  what?: string,
): Promise<T> => (await waitFor(check, timeoutMs, what)) as T;

const SHELL = "bash --norc --noprofile";

let tmux: TmuxFixture;
let server: ServerHandle;
let bootFile: string;
let work: string;

const serverEnv = () => ({
  SENTINEL_RECOVERY_SNAPSHOT_INTERVAL: "150ms",
  SENTINEL_RECOVERY_BOOT_ID_PATH: bootFile,
  // A tmux server started by a restore (none running) runs sh, not the user's bash with its rc files.
  SHELL: "/bin/sh",
});

before(async () => {
  tmux = await startTmux();
  work = mkdtempSync(join(tmpdir(), "sentinel-recovery-"));
  bootFile = join(work, "boot_id");
  writeFileSync(bootFile, "boot-one\n");
  server = await startServer({ tmuxSocket: tmux.socket, env: serverEnv() });
});

after(async () => {
  await server?.stop();
  await tmux?.close();
  rmSync(work, { recursive: true, force: true });
});

async function json<T>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  return (JSON.parse(text) as { data: T }).data;
}

async function expectError(res: Response, status: number, code: string, message?: string | RegExp) {
  const text = await res.text();
  assert.equal(res.status, status, text);
  const body = JSON.parse(text) as { error: { code: string; message: string } };
  assert.equal(body.error.code, code, text);
  if (typeof message === "string") assert.equal(body.error.message, message);
  else if (message) assert.match(body.error.message, message);
}

const api = (path: string, init?: Parameters<ServerHandle["api"]>[1]) => server.api(path, init);
const overview = async (s = server) =>
  (await json<{ overview: RecoveryOverview }>(await s.api("/api/recovery/overview"))).overview;
const killedSessions = async () =>
  (await json<{ sessions: RecoverySession[] }>(await api("/api/recovery/sessions"))).sessions;
const snapshots = async (session: string, limit = 20) =>
  (
    await json<{ snapshots: SnapshotMeta[] | null }>(
      await api(`/api/recovery/sessions/${session}/snapshots?limit=${limit}`),
    )
  ).snapshots ?? [];
const getJob = async (id: string, s = server) =>
  (await json<{ job: RecoveryJob }>(await s.api(`/api/recovery/jobs/${id}`))).job;
const restore = async (snapshotId: number, body?: unknown) =>
  (
    await json<{ job: RecoveryJob }>(
      await api(`/api/recovery/snapshots/${snapshotId}/restore`, {
        method: "POST",
        ...(body === undefined ? {} : { json: body }),
      }),
      202,
    )
  ).job;
const finished = (id: string, s = server): Promise<RecoveryJob> =>
  until(
    async () => {
      const job = await getJob(id, s);
      return job.status === "succeeded" || job.status === "failed" ? job : undefined;
    },
    20_000,
    `job ${id} to finish`,
  );

const liveSessions = async () =>
  (await tmux.tmux("list-sessions", "-F", "#{session_name}").catch(() => ""))
    .trim()
    .split("\n")
    .filter(Boolean);

/** What tmux shows of a session: windows (index, name, pane count, layout geometry) and pane directories. */
async function shape(session: string) {
  const windows = (
    await tmux.tmux(
      "list-windows",
      "-t",
      `=${session}`,
      "-F",
      "#{window_index}|#{window_name}|#{window_panes}|#{window_layout}",
    )
  )
    .trim()
    .split("\n")
    .map((line) => {
      const [index, name, panes, layout] = line.split("|");
      return { index: Number(index), name, panes: Number(panes), layout: layoutGeometry(layout!) };
    });
  const panes = (
    await tmux.tmux(
      "list-panes",
      "-s",
      "-t",
      `=${session}:`,
      "-F",
      "#{window_index}.#{pane_index}|#{pane_current_path}",
    )
  )
    .trim()
    .split("\n")
    .map((line) => line.split("|"));
  return { windows, panes };
}

const paneIds = async (session: string) =>
  (await tmux.tmux("list-panes", "-s", "-t", `=${session}:`, "-F", "#{pane_id}")).trim().split("\n");

/** The newest snapshot of a session once it shows what tmux shows (windows, pane counts, layouts, directories). */
async function snapshotMatching(session: string, expected: Awaited<ReturnType<typeof shape>>) {
  return until(
    async () => {
      const [latest] = await snapshots(session, 1);
      if (!latest) return undefined;
      const payload = JSON.parse(latest.payloadJson) as SessionSnapshot;
      const windows = payload.windows.map((w) => ({
        index: w.index,
        name: w.name,
        panes: w.panes,
        layout: layoutGeometry(w.layout),
      }));
      const panes = payload.panes.map((p) => [`${p.windowIndex}.${p.paneIndex}`, p.currentPath]);
      try {
        assert.deepEqual(windows, expected.windows);
        assert.deepEqual(panes, expected.panes);
        return latest;
      } catch {
        return undefined;
      }
    },
    10_000,
    `a snapshot of ${session} that matches tmux`,
  );
}

/** Builds a session of windows with `panes[i]` panes each, every pane in its own new directory. */
async function buildSession(name: string, panes: number[]) {
  const dir = (w: number, p: number) => {
    const path = join(work, name, `w${w}`, `p${p}`);
    mkdirSync(path, { recursive: true });
    return path;
  };
  await tmux.tmux(
    "new-session",
    "-d",
    "-s",
    name,
    "-x",
    "120",
    "-y",
    "40",
    "-n",
    "main",
    "-c",
    dir(0, 0),
    SHELL,
  );
  await tmux.tmux("set-option", "-g", "default-command", SHELL);
  for (const [w, count] of panes.entries()) {
    if (w > 0) await tmux.tmux("new-window", "-d", "-t", `=${name}:${w}`, "-n", `win-${w}`, "-c", dir(w, 0));
    for (let p = 1; p < count; p++) {
      await tmux.tmux("split-window", "-d", "-t", `=${name}:${w}`, p % 2 ? "-h" : "-v", "-c", dir(w, p));
    }
    if (count >= 4) await tmux.tmux("select-layout", "-t", `=${name}:${w}`, "tiled");
  }
  await tmux.tmux("select-window", "-t", `=${name}:1`);
}

async function subscribe() {
  const ws = new WebSocket(`${server.url.replace("http", "ws")}/ws/events`, ["sentinel.v1"], {
    headers: { authorization: `Bearer ${server.token}` },
  });
  const events: EventEnvelope<Record<string, unknown>>[] = [];
  let ready = false;
  ws.on("message", (data) => {
    const message = JSON.parse(data.toString()) as EventEnvelope<Record<string, unknown>>;
    if (message.type === "events.ready") ready = true;
    if (message.type.startsWith("recovery.") || message.type === "tmux.sessions.updated")
      events.push(message);
  });
  ws.on("error", () => undefined);
  await until(() => ready, 5000, "events.ready");
  return {
    events,
    close: () => ws.close(),
  };
}

const expected = new Map<string, Awaited<ReturnType<typeof shape>>>();
const latest = new Map<string, SnapshotMeta>();

describe("snapshot, server loss, restore", () => {
  test("both sessions are snapshotted as tmux shows them, once per shape", async () => {
    await buildSession("alpha", [2, 3, 1]);
    await buildSession("beta", [1, 2, 4]);
    for (const s of ["alpha", "beta"]) {
      const now = await shape(s);
      assert.equal(now.windows.length, 3);
      expected.set(s, now);
      latest.set(s, await snapshotMatching(s, now));
    }
    // Unchanged: no new snapshot over several collects.
    const before = (await snapshots("alpha", 200)).length;
    await new Promise((r) => setTimeout(r, 600));
    assert.equal((await snapshots("alpha", 200)).length, before);
    const meta = latest.get("alpha")!;
    assert.equal(meta.windows, 3);
    assert.equal(meta.panes, 6);
    const view = await json<{ snapshot: { meta: SnapshotMeta; payload: SessionSnapshot } }>(
      await api(`/api/recovery/snapshots/${meta.id}`),
    );
    assert.equal(view.snapshot.meta.id, meta.id);
    assert.equal(view.snapshot.payload.sessionName, "alpha");
    assert.equal(view.snapshot.payload.activeWindow, 1);
    assert.equal(view.snapshot.payload.bootId, "boot-one");
  });

  test("the tmux server is killed: both sessions are killed, in the list and the overview", async () => {
    // The snapshots restored below are the newest ones when the server dies.
    for (const s of ["alpha", "beta"]) latest.set(s, await snapshotMatching(s, expected.get(s)!));
    const sub = await subscribe();
    try {
      await tmux.tmux("kill-server");
      const killed = await until(
        async () => {
          const list = await killedSessions();
          const killed = list.filter(
            (s) => s.state === "killed" && (s.name === "alpha" || s.name === "beta"),
          );
          return killed.length === 2 ? killed : undefined;
        },
        5000,
        "both sessions killed",
      );
      assert.deepEqual(killed.map((s) => s.name).sort(), ["alpha", "beta"]);
      for (const s of killed) {
        assert.match(s.killedAt ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        assert.equal(s.latestSnapshotId, latest.get(s.name)?.id);
      }
      const ov = await overview();
      assert.deepEqual(ov.killedSessions.map((s) => s.name).sort(), ["alpha", "beta"]);
      assert.equal(ov.bootId, "boot-one");
      await until(
        () =>
          sub.events.some(
            (e) => e.type === "recovery.overview.updated" && (e.payload?.killed as number) >= 2,
          ),
        3000,
        "recovery.overview.updated with killed",
      );
    } finally {
      sub.close();
    }
  });

  test("restores recreate the same windows, pane counts, layouts and directories, with progress events", async () => {
    const sub = await subscribe();
    try {
      // No tmux server runs: the first restore starts one.
      const jobA = await restore(latest.get("alpha")!.id, { mode: "safe" });
      assert.equal(jobA.status, "queued");
      assert.match(jobA.id, /^[0-9a-f]{20}$/);
      assert.equal(jobA.totalSteps, 1 + 2 * 3 + 6);
      assert.equal(jobA.mode, "safe");
      assert.equal(jobA.conflictPolicy, "rename");
      assert.equal(jobA.targetSession, "alpha");
      const doneA = await finished(jobA.id);
      assert.equal(doneA.status, "succeeded", doneA.error);
      assert.equal(doneA.completedSteps, doneA.totalSteps);
      await tmux.tmux("set-option", "-g", "default-command", SHELL);
      const jobB = await restore(latest.get("beta")!.id);
      const doneB = await finished(jobB.id);
      assert.equal(doneB.status, "succeeded", doneB.error);

      for (const s of ["alpha", "beta"]) {
        const now = await until(
          async () => {
            const got = await shape(s);
            try {
              assert.deepEqual(got, expected.get(s));
              return got;
            } catch {
              return undefined;
            }
          },
          5000,
          `${s} restored as it was`,
        ).catch(async () => shape(s));
        assert.deepEqual(now, expected.get(s), `${s} as tmux shows it`);
      }
      assert.equal(
        (await tmux.tmux("display-message", "-p", "-t", "=alpha:", "#{window_index}")).trim(),
        "1",
        "the active window",
      );

      const forA = sub.events.filter((e) => e.payload?.jobId === jobA.id).map((e) => e.payload!);
      assert.deepEqual(forA[0], { jobId: jobA.id, status: "queued" });
      assert.deepEqual(forA[1], { jobId: jobA.id, status: "running" });
      const progress = forA.filter((p) => p.status === "running" && "completed" in p);
      assert.equal(progress.length, jobA.totalSteps);
      assert.deepEqual(
        progress.map((p) => p.completed),
        Array.from({ length: jobA.totalSteps }, (_, i) => i + 1),
      );
      assert.equal(progress[0]?.step, "target resolved");
      assert.equal(progress[1]?.step, "session created");
      assert.deepEqual(forA.at(-1), { jobId: jobA.id, status: "succeeded", target: "alpha" });
      const overviewFor = sub.events
        .filter((e) => e.type === "recovery.overview.updated" && e.payload?.session === "alpha")
        .map((e) => e.payload);
      assert.deepEqual(overviewFor.slice(0, 3), [
        { session: "alpha", action: "restore-started" },
        { session: "alpha", status: "restoring" },
        { session: "alpha", status: "restored" },
      ]);
      assert.ok(
        sub.events.some(
          (e) =>
            e.type === "tmux.sessions.updated" &&
            e.payload?.source === "recovery.restore" &&
            e.payload?.target === "alpha",
        ),
      );
      // The restored sessions are running again (their next snapshot), not killed.
      await until(
        async () => (await killedSessions()).every((s) => s.name !== "alpha" || s.state !== "killed"),
        5000,
        "alpha no longer killed",
      );
    } finally {
      sub.close();
    }
  });
});

describe("conflict policies against a live session of the same name", () => {
  test("rename restores into <name>-restored-01 and reports the target", async () => {
    const job = await finished((await restore(latest.get("alpha")!.id, { conflictPolicy: "rename" })).id);
    assert.equal(job.status, "succeeded", job.error);
    assert.equal(job.targetSession, "alpha-restored-01");
    assert.deepEqual((await shape("alpha-restored-01")).windows, expected.get("alpha")!.windows);
    assert.ok((await liveSessions()).includes("alpha"));
  });

  test("skip fails with the spec's message and leaves the live session alone", async () => {
    const ids = await paneIds("alpha");
    const job = await finished((await restore(latest.get("alpha")!.id, { conflictPolicy: "skip" })).id);
    assert.equal(job.status, "failed");
    assert.equal(job.error, 'session "alpha" already exists');
    assert.deepEqual(await paneIds("alpha"), ids);
  });

  test("replace kills the live session and recreates it", async () => {
    const ids = await paneIds("beta");
    const job = await finished((await restore(latest.get("beta")!.id, { conflictPolicy: "replace" })).id);
    assert.equal(job.status, "succeeded", job.error);
    assert.equal(job.targetSession, "beta");
    const now = await paneIds("beta");
    assert.equal(now.length, ids.length);
    assert.ok(
      now.every((id) => !ids.includes(id)),
      "new panes",
    );
    assert.deepEqual((await shape("beta")).windows, expected.get("beta")!.windows);
  });

  test("targetSession restores under another name; unknown mode and policy are normalised", async () => {
    const job = await restore(latest.get("beta")!.id, {
      targetSession: "gamma",
      mode: "sideways",
      conflictPolicy: "merge",
    });
    assert.equal(job.mode, "confirm");
    assert.equal(job.conflictPolicy, "rename");
    assert.equal(job.targetSession, "gamma");
    assert.equal((await finished(job.id)).status, "succeeded");
    assert.deepEqual((await shape("gamma")).windows, expected.get("beta")!.windows);
  });
});

describe("modes", () => {
  test("safe types nothing, confirm types the pane's command without running it, full runs it", async () => {
    await tmux.tmux("new-session", "-d", "-s", "modes", "-x", "120", "-y", "40", "-c", work, SHELL);
    await tmux.tmux("set-option", "-g", "default-command", SHELL);
    await tmux.tmux("split-window", "-d", "-t", "=modes:0", "-h", "-c", work, "sleep 1000");
    const meta = await until(
      async () => {
        const [latest] = await snapshots("modes", 1);
        const payload = latest ? (JSON.parse(latest.payloadJson) as SessionSnapshot) : undefined;
        return payload?.panes.length === 2 && payload.panes[1]?.startCommand.includes("sleep 1000")
          ? latest
          : undefined;
      },
      5000,
      "a snapshot of modes with the sleep pane",
    );
    const paneOf = async (session: string) => {
      const [, second] = (
        await tmux.tmux("list-panes", "-t", `=${session}:0`, "-F", "#{pane_id} #{pane_current_command}")
      )
        .trim()
        .split("\n");
      const [id, command] = second!.split(" ");
      return { id: id!, command: command!, text: await tmux.tmux("capture-pane", "-p", "-t", id!) };
    };
    for (const mode of ["safe", "confirm", "full"] as const) {
      const job = await finished((await restore(meta.id, { mode, targetSession: `modes-${mode}` })).id);
      assert.equal(job.status, "succeeded", job.error);
    }
    const full = await until(
      async () => {
        const p = await paneOf("modes-full");
        return p.command === "sleep" ? p : undefined;
      },
      5000,
      "sleep running in the full restore",
    );
    assert.equal(full.command, "sleep");
    const confirm = await until(
      async () => {
        const p = await paneOf("modes-confirm");
        return p.text.includes("sleep 1000") ? p : undefined;
      },
      5000,
      "the command typed in the confirm restore",
    );
    assert.notEqual(confirm.command, "sleep", "typed, not run");
    const safe = await paneOf("modes-safe");
    assert.ok(!safe.text.includes("sleep"), "nothing typed");
    assert.notEqual(safe.command, "sleep");
    for (const s of ["modes", "modes-safe", "modes-confirm", "modes-full"]) {
      await tmux.tmux("kill-session", "-t", `=${s}`);
    }
  });
});

describe("reboot, archive, delete", () => {
  test("a session that ends without a reboot stays running; after a reboot it is killed", async () => {
    await until(async () => (await snapshots("gamma", 1)).length > 0, 5000, "gamma snapshotted");
    await tmux.tmux("kill-session", "-t", "=gamma");
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(!(await killedSessions()).some((s) => s.name === "gamma"), "still running");
    writeFileSync(bootFile, "boot-two\n");
    const gamma = await until(
      async () => (await killedSessions()).find((s) => s.name === "gamma" && s.state === "killed"),
      5000,
      "gamma killed after the reboot",
    );
    assert.equal(gamma.lastBootId, "boot-two");
    const ov = await overview();
    assert.equal(ov.bootId, "boot-two");
    assert.equal(ov.lastBootId, "boot-two");
    assert.match(ov.lastBootChange, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.notEqual(ov.lastBootChange, "0001-01-01T00:00:00Z");
  });

  test("archive takes a killed session off the list and publishes it", async () => {
    const sub = await subscribe();
    try {
      const res = await api("/api/recovery/sessions/gamma/archive", { method: "POST" });
      assert.equal(res.status, 204);
      assert.ok(!(await killedSessions()).some((s) => s.name === "gamma"));
      await until(
        () =>
          sub.events.some(
            (e) =>
              e.type === "recovery.overview.updated" &&
              e.payload?.session === "gamma" &&
              e.payload?.action === "archive",
          ),
        3000,
        "archive event",
      );
    } finally {
      sub.close();
    }
  });

  test("DELETE of a session archives it and publishes recovery.overview.updated", async () => {
    const sub = await subscribe();
    try {
      const res = await api("/api/tmux/sessions/alpha-restored-01?confirm=1", {
        method: "DELETE",
        headers: { "x-sentinel-guardrail-confirm": "true" },
      });
      assert.equal(res.status, 204, await res.text());
      await until(
        () =>
          sub.events.some(
            (e) =>
              e.type === "recovery.overview.updated" &&
              e.payload?.session === "alpha-restored-01" &&
              e.payload?.action === "archive",
          ),
        3000,
        "archive event on delete",
      );
      // Archived, not killed: even a later server loss does not bring it back to the list.
      assert.ok(!(await killedSessions()).some((s) => s.name === "alpha-restored-01"));
    } finally {
      sub.close();
    }
  });
});

describe("bad inputs", () => {
  test("snapshot ids, job ids, session names, bodies", async () => {
    for (const bad of ["abc", "0", "-1", "1.5", "99999999999999999999"]) {
      await expectError(
        await api(`/api/recovery/snapshots/${bad}`),
        400,
        "INVALID_REQUEST",
        "invalid snapshot id",
      );
      await expectError(
        await api(`/api/recovery/snapshots/${bad}/restore`, { method: "POST" }),
        400,
        "INVALID_REQUEST",
        "invalid snapshot id",
      );
    }
    await expectError(
      await api("/api/recovery/snapshots/999999"),
      404,
      "SNAPSHOT_NOT_FOUND",
      "snapshot not found",
    );
    await expectError(
      await api("/api/recovery/snapshots/999999/restore", { method: "POST" }),
      404,
      "SNAPSHOT_NOT_FOUND",
    );
    await expectError(
      await api("/api/recovery/jobs/0123456789abcdef0123"),
      404,
      "JOB_NOT_FOUND",
      "job not found",
    );
    const id = latest.get("alpha")!.id;
    const path = `/api/recovery/snapshots/${id}/restore`;
    await expectError(
      await api(path, { method: "POST", json: { targetSession: "bad name!" } }),
      400,
      "INVALID_REQUEST",
      "targetSession must match ^[A-Za-z0-9._-]{1,64}$",
    );
    await expectError(
      await api(path, { method: "POST", json: { extra: 1 } }),
      400,
      "INVALID_REQUEST",
      "invalid json body",
    );
    await expectError(
      await api(path, { method: "POST", json: "{" }),
      400,
      "INVALID_REQUEST",
      "invalid json body",
    );
    await expectError(
      await api(path, { method: "POST", json: "{} {}" }),
      400,
      "INVALID_REQUEST",
      "invalid json body: multiple json values",
    );
    await expectError(
      await api(path, { method: "POST", json: { mode: 3 } }),
      400,
      "INVALID_REQUEST",
      "invalid json body",
    );
    await expectError(
      await api("/api/recovery/sessions/bad!name/archive", { method: "POST" }),
      400,
      "INVALID_REQUEST",
      "invalid session name",
    );
    await expectError(await api("/api/recovery/overview", { auth: false }), 401, "UNAUTHORIZED");
    // A whitespace body is no body (decodeOptionalJSON); an invalid limit is the default.
    const job = await json<{ job: RecoveryJob }>(await api(path, { method: "POST", json: "  " }), 202);
    assert.equal(job.job.conflictPolicy, "rename");
    await finished(job.job.id);
    assert.ok((await snapshots("alpha", Number.NaN)).length >= 1);
  });

  test("with recovery disabled every route is 503 RECOVERY_DISABLED", async () => {
    const off = await startServer({
      tmuxSocket: tmux.socket,
      env: { ...serverEnv(), SENTINEL_RECOVERY_ENABLED: "false" },
    });
    try {
      for (const [method, path] of [
        ["GET", "/api/recovery/overview"],
        ["GET", "/api/recovery/sessions"],
        ["POST", "/api/recovery/sessions/alpha/archive"],
        ["GET", "/api/recovery/sessions/alpha/snapshots"],
        ["GET", "/api/recovery/snapshots/1"],
        ["POST", "/api/recovery/snapshots/1/restore"],
        ["GET", "/api/recovery/jobs/abc"],
      ] as const) {
        await expectError(await off.api(path, { method }), 503, "RECOVERY_DISABLED", "recovery is disabled");
      }
    } finally {
      await off.stop();
    }
  });
});

describe("a server that stops in the middle of a restore", () => {
  let big: SnapshotMeta;

  before(async () => {
    await buildSession(
      "big",
      Array.from({ length: 12 }, () => 4),
    );
    big = await snapshotMatching("big", await shape("big"));
  });

  async function interrupted(signal: NodeJS.Signals) {
    const dataDir = mkdtempSync(join(work, "data-"));
    let first = await startServer({ tmuxSocket: tmux.socket, dataDir, env: serverEnv() });
    const tmuxPid = Number((await tmux.tmux("display-message", "-p", "#{pid}")).trim());
    let frozen = false;
    try {
      const meta = await until(async () => {
        const res = await first.api("/api/recovery/sessions/big/snapshots?limit=1");
        const list = (await json<{ snapshots: SnapshotMeta[] | null }>(res)).snapshots ?? [];
        return list[0]?.panes === big.panes ? list[0] : undefined;
      });
      const target = `big-${signal.toLowerCase()}`;
      const res = await first.api(`/api/recovery/snapshots/${meta.id}/restore`, {
        method: "POST",
        json: { targetSession: target },
      });
      const { job } = await json<{ job: RecoveryJob }>(res, 202);
      // Once it has created the session, the tmux server is frozen (SIGSTOP): the job is caught mid-way, whatever
      // the machine's speed.
      await until(
        async () => {
          const j = await getJob(job.id, first);
          return j.status === "running" && j.completedSteps >= 2 ? true : undefined;
        },
        10_000,
        "the job running",
      );
      process.kill(tmuxPid, "SIGSTOP");
      frozen = true;
      const running = await getJob(job.id, first);
      assert.equal(running.status, "running");
      assert.ok(running.completedSteps < running.totalSteps, "stopped before the end");
      await first.stop(signal);
      process.kill(tmuxPid, "SIGCONT");
      frozen = false;
      first = await startServer({ tmuxSocket: tmux.socket, dataDir, env: serverEnv() });
      const after = await getJob(job.id, first);
      assert.equal(after.status, "failed");
      // It could not clean up (killed, or tmux frozen while it stopped): the job names the session it left.
      assert.match(
        after.error,
        new RegExp(
          `^interrupted: the server (restarted|stopped) while the restore was running; the partial session "${target}" \\(\\d+ of ${after.totalSteps} steps done\\) may be left in tmux$`,
        ),
      );
      // Killed, it had no chance to remove it (stopped, a removal it had begun may still have gone through once
      // tmux ran again: hence "may be left").
      if (signal === "SIGKILL")
        assert.ok((await liveSessions()).includes(target), "the partial session is there");
      assert.ok(after.finishedAt);
      assert.ok(after.completedSteps < after.totalSteps);
      const ov = await overview(first);
      assert.ok(ov.runningJobs.some((j) => j.id === job.id && j.status === "failed"));
      assert.ok(!ov.runningJobs.some((j) => j.status === "running" || j.status === "queued"));
      return after;
    } finally {
      if (frozen) process.kill(tmuxPid, "SIGCONT");
      await first.stop();
      await tmux.tmux("kill-session", "-t", `=big-${signal.toLowerCase()}`).catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    }
  }

  test("killed (SIGKILL): the next server fails the job with a reason", async () => {
    const job = await interrupted("SIGKILL");
    assert.match(job.error, /^interrupted: the server restarted while the restore was running; /);
  });

  test("a restore that fails midway (its time limit) removes the session it built and says so", async () => {
    const dataDir = mkdtempSync(join(work, "data-"));
    const limited = await startServer({
      tmuxSocket: tmux.socket,
      dataDir,
      env: { ...serverEnv(), SENTINEL_RECOVERY_RESTORE_TIMEOUT: "3s" },
    });
    const tmuxPid = Number((await tmux.tmux("display-message", "-p", "#{pid}")).trim());
    let frozen = false;
    const target = "big-timeout";
    try {
      const meta = await until(async () => {
        const res = await limited.api("/api/recovery/sessions/big/snapshots?limit=1");
        const list = (await json<{ snapshots: SnapshotMeta[] | null }>(res)).snapshots ?? [];
        return list[0]?.panes === big.panes ? list[0] : undefined;
      });
      const res = await limited.api(`/api/recovery/snapshots/${meta.id}/restore`, {
        method: "POST",
        json: { targetSession: target },
      });
      const { job } = await json<{ job: RecoveryJob }>(res, 202);
      await until(
        async () => {
          const j = await getJob(job.id, limited);
          return j.status === "running" && j.completedSteps >= 2 ? true : undefined;
        },
        10_000,
        "the session created",
      );
      // tmux frozen past the time limit: the restore is caught mid-way and times out at its next step.
      process.kill(tmuxPid, "SIGSTOP");
      frozen = true;
      assert.ok((await getJob(job.id, limited)).completedSteps < job.totalSteps);
      await new Promise((r) => setTimeout(r, 3500));
      process.kill(tmuxPid, "SIGCONT");
      frozen = false;
      const done = await finished(job.id, limited);
      assert.equal(done.status, "failed");
      assert.match(
        done.error,
        new RegExp(
          `^restore timed out; the partial session "${target}" \\(\\d+ of 12 windows\\) was removed$`,
        ),
      );
      assert.ok(!(await liveSessions()).includes(target), "the partial session is gone");
    } finally {
      if (frozen) process.kill(tmuxPid, "SIGCONT");
      await limited.stop();
      await tmux.tmux("kill-session", "-t", `=${target}`).catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test("stopped (SIGTERM): the job ends failed before the server exits", async () => {
    const job = await interrupted("SIGTERM");
    assert.match(job.error, /^interrupted: the server stopped while the restore was running; /);
  });
});
