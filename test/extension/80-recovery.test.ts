/// <reference types="mocha" />
// Recovery from the extension: the server snapshots the fixture's sessions; the fixture tmux server is killed;
// the Recovery view lists them as killed; Restore Session brings each back (mode safe, job followed to its end)
// and they return to the Sessions tree with their windows. Runs late: every fixture session is restored, so
// the scenarios after it still find alpha and beta.
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import type { RecoveryJob, RecoverySession, SnapshotMeta } from "../../src/protocol/recovery.js";
import { recordMetric, tmux, waitFor } from "./support/env.js";
import {
  findItem,
  killTmuxSession,
  newTmuxSession,
  runningSentinel,
  waitForItem,
} from "./support/sentinel.js";

const SESSION = "phoenix";

describe("recovery", () => {
  after(() => killTmuxSession(SESSION));

  it("restores sessions after the tmux server was killed; they come back in the tree", async function () {
    this.timeout(90_000);
    const api = await runningSentinel();
    await newTmuxSession(SESSION, "-n", "first");
    await tmux("new-window", "-d", "-t", `=${SESSION}`, "-n", "second");
    await waitForItem(api, `session:${SESSION}`, "the session in the tree");
    const live = (await tmux("list-sessions", "-F", "#{session_name}")).trim().split("\n");
    const recoverySessions = async () =>
      (await api.apiRequest<{ sessions: RecoverySession[] }>("GET", "/api/recovery/sessions")).sessions;
    // Every live session has a snapshot of its current shape (phoenix with both windows). Running sessions are
    // not in the recovery list (killed, restoring and restored only): their snapshots are.
    await waitFor(
      async () => {
        for (const name of live) {
          const { snapshots } = await api.apiRequest<{ snapshots: SnapshotMeta[] | null }>(
            "GET",
            `/api/recovery/sessions/${name}/snapshots?limit=1`,
          );
          if (!snapshots?.length || (name === SESSION && snapshots[0]!.windows !== 2)) return false;
        }
        return true;
      },
      `snapshots of ${live.join(", ")}`,
      30_000,
    );

    await tmux("kill-server");
    const killed = await waitFor(
      async () => {
        const list = await recoverySessions();
        const gone = list.filter((s) => live.includes(s.name) && s.state === "killed");
        return gone.length === live.length ? gone : undefined;
      },
      "the sessions to be killed in the recovery list",
      30_000,
    );
    await vscode.commands.executeCommand("sentinel.refreshRecovery");
    const view = api.recoveryView();
    assert.equal(view.state, "available");
    const killedGroup = view.rows.find((r) => r.id === "recovery:state:killed");
    assert.ok(killedGroup, `rows: ${JSON.stringify(view.rows.map((r) => r.id))}`);
    assert.ok(killedGroup.children?.some((r) => r.id === `recovery:session:${SESSION}`));
    await waitFor(
      async () => !findItem(await api.treeSnapshot(), `session:${SESSION}`),
      "the tree to lose it",
    );

    const t0 = performance.now();
    for (const s of killed) {
      const job = await vscode.commands.executeCommand<RecoveryJob>("sentinel.restoreSession", s.name, {
        mode: "safe",
        conflictPolicy: "rename",
      });
      assert.equal(job?.status, "succeeded", `restore of ${s.name}: ${JSON.stringify(job)}`);
    }
    recordMetric({
      metric: "restore_sessions",
      value: Math.round(performance.now() - t0),
      unit: "ms",
      sessions: killed.length,
    });

    const phoenix = await waitForItem(
      api,
      `session:${SESSION}`,
      "the restored session with its two windows",
      (item) => item.children?.length === 2,
      20_000,
    );
    assert.deepEqual(
      phoenix.children?.map((w) => w.label),
      ["0: first", "1: second"],
    );
    for (const name of live) await waitForItem(api, `session:${name}`, `${name} back in the tree`);
    await vscode.commands.executeCommand("sentinel.refreshRecovery");
    assert.ok(
      !api
        .recoveryView()
        .rows.find((r) => r.id === "recovery:state:killed")
        ?.children?.some((r) => r.id === `recovery:session:${SESSION}`),
      "no longer listed as killed",
    );
  });
});
