// A running tmux server with no sessions (issue 14, item 9). With `exit-empty off` tmux 3.3a stays up when its
// last session ends, and then answers every `-t` target, `has-session -t =beta` included, with "no current
// target": that is "session not found" (404 SESSION_NOT_FOUND), not a failed tmux command (500), and a restore
// into such a server simply uses the missing target (spec §7.2). Against the real server and a private tmux.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { RecoveryJob, SnapshotMeta } from "../../src/protocol/recovery.js";
import { classifyTmuxStderr } from "../../src/server/tmux/errors.js";
import { type ServerHandle, startServer } from "./serverFixture.js";
import { startTmux, type TmuxFixture, waitFor } from "./tmuxFixture.js";

let tmux: TmuxFixture;
let server: ServerHandle;

before(async () => {
  tmux = await startTmux();
  // One session to snapshot, on a server that outlives its last session.
  await tmux.newSession("beta");
  await tmux.tmux("set-option", "-s", "exit-empty", "off");
  server = await startServer({
    tmuxSocket: tmux.socket,
    env: {
      SENTINEL_RECOVERY_SNAPSHOT_INTERVAL: "150ms",
      SHELL: "/bin/sh",
    },
  });
});

after(async () => {
  await server?.stop();
  await tmux?.close();
});

async function expectError(res: Response, status: number, code: string) {
  const text = await res.text();
  assert.equal(res.status, status, text);
  assert.equal((JSON.parse(text) as { error: { code: string } }).error.code, code, text);
}

const liveSessions = async () =>
  (await tmux.tmux("list-sessions", "-F", "#{session_name}")).split("\n").filter(Boolean);

describe("tmux's answer on a server without sessions", () => {
  test('"no current target" and its kin are "session not found"', () => {
    assert.equal(classifyTmuxStderr("no current target\n"), "SESSION_NOT_FOUND");
    assert.equal(classifyTmuxStderr("can't find session: beta\n"), "SESSION_NOT_FOUND");
    assert.equal(classifyTmuxStderr("no such session: =beta\n"), "SESSION_NOT_FOUND");
    assert.equal(classifyTmuxStderr("session not found: beta\n"), "SESSION_NOT_FOUND");
    assert.equal(classifyTmuxStderr("no server running on /tmp/x\n"), "TMUX_SERVER_NOT_RUNNING");
  });
});

describe("a running tmux server with no sessions", () => {
  let snapshot: SnapshotMeta;

  before(async () => {
    snapshot = (await waitFor(
      async () => {
        const res = await server.api("/api/recovery/sessions/beta/snapshots?limit=1");
        const body = (await res.json()) as { data: { snapshots: SnapshotMeta[] | null } };
        return body.data.snapshots?.[0];
      },
      10_000,
      "a snapshot of beta",
    )) as SnapshotMeta;
    await tmux.tmux("kill-session", "-t", "=beta");
    // The tmux server is still up, with nothing in it.
    assert.deepEqual(await liveSessions(), []);
    await assert.rejects(tmux.tmux("has-session", "-t", "=beta"), /no current target/);
  });

  test("the session routes answer 404 SESSION_NOT_FOUND", async () => {
    // The watchtower's mirror of tmux (which lists answer from while it runs) notices the end of beta first.
    await waitFor(
      async () => {
        const res = await server.api("/api/tmux/sessions");
        return ((await res.json()) as { data: { sessions: unknown[] } }).data.sessions.length === 0;
      },
      10_000,
      "the session list to be empty",
    );
    await expectError(await server.api("/api/tmux/sessions/beta/windows"), 404, "SESSION_NOT_FOUND");
    await expectError(await server.api("/api/tmux/sessions/beta/panes"), 404, "SESSION_NOT_FOUND");
    await expectError(
      await server.api("/api/tmux/sessions/beta/new-window", { method: "POST" }),
      404,
      "SESSION_NOT_FOUND",
    );
    await expectError(
      await server.api("/api/tmux/sessions/beta?confirm=1", { method: "DELETE" }),
      404,
      "SESSION_NOT_FOUND",
    );
    await expectError(
      await server.api("/api/tmux/sessions/beta/rename-window", {
        method: "POST",
        json: { index: 0, name: "x" },
      }),
      404,
      "SESSION_NOT_FOUND",
    );
    await expectError(
      await server.api("/api/recordings", { method: "POST", json: { session: "beta" } }),
      404,
      "SESSION_NOT_FOUND",
    );
    const list = await server.api("/api/tmux/sessions");
    assert.equal(list.status, 200, await list.clone().text());
    assert.deepEqual(((await list.json()) as { data: { sessions: unknown[] } }).data.sessions, []);
  });

  test("a restore into it proceeds and rebuilds the session", async () => {
    const res = await server.api(`/api/recovery/snapshots/${snapshot.id}/restore`, {
      method: "POST",
      json: { mode: "safe" },
    });
    const text = await res.text();
    assert.equal(res.status, 202, text);
    const { job } = (JSON.parse(text) as { data: { job: RecoveryJob } }).data;
    const done = (await waitFor(
      async () => {
        const r = await server.api(`/api/recovery/jobs/${job.id}`);
        const current = ((await r.json()) as { data: { job: RecoveryJob } }).data.job;
        return current.status === "succeeded" || current.status === "failed" ? current : undefined;
      },
      20_000,
      "the restore job to finish",
    )) as RecoveryJob;
    assert.equal(done.status, "succeeded", JSON.stringify(done));
    assert.deepEqual(await liveSessions(), ["beta"]);
  });
});
