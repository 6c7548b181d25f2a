// Reads that never write (issue 17): the list and detail routes answer from the watchtower's projection without
// a collect or a store write of their own, and a read right after a mutation through the API shows it (the
// route tells the watchtower; the read waits for that one collect). Writes are counted from the SQLite file's
// change counter (header bytes 24-27), which every committed write transaction bumps.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type ServerHandle, startServer } from "./serverFixture.js";
import { startTmux, type TmuxFixture, waitFor } from "./tmuxFixture.js";

let tmux: TmuxFixture;
let server: ServerHandle;

before(async () => {
  tmux = await startTmux();
  for (const name of ["r1", "r2", "r3"]) await tmux.newSession(name);
  server = await startServer({
    tmuxSocket: tmux.socket,
    env: {
      // Nothing writes on a timer during the test: no full collect (its counters), no recovery snapshots.
      SENTINEL_WATCHTOWER_SAFETY_INTERVAL: "1h",
      SENTINEL_RECOVERY_ENABLED: "false",
    },
  });
});

after(async () => {
  await server?.stop();
  await tmux?.close();
});

const commits = () => readFileSync(join(server.dataDir, "sentinel.db")).readUInt32BE(24);

async function get<T>(path: string): Promise<T> {
  const res = await server.api(path);
  const text = await res.text();
  assert.equal(res.status, 200, `${path}: ${text}`);
  return (JSON.parse(text) as { data: T }).data;
}

const sessionNames = async () =>
  (await get<{ sessions: Array<{ name: string }> }>("/api/tmux/sessions")).sessions.map((s) => s.name);
const windowNames = async (s: string) =>
  (await get<{ windows: Array<{ name: string }> }>(`/api/tmux/sessions/${s}/windows`)).windows.map(
    (w) => w.name,
  );
const paneIds = async (s: string) =>
  (await get<{ panes: Array<{ paneId: string }> }>(`/api/tmux/sessions/${s}/panes`)).panes.map(
    (p) => p.paneId,
  );
const engineCollects = async () =>
  (await get<{ engine: { collects: number } }>("/api/tmux/activity/stats")).engine.collects;

async function expectStatus(res: Response, status: number) {
  const text = await res.text();
  assert.equal(res.status, status, text);
  return text;
}

describe("reads never write", () => {
  test("lists and details: no store write and no collect per read", async () => {
    await waitFor(async () => (await sessionNames()).length === 3, 10_000, "the three sessions listed");
    // Settle: the shells' prompts are projected, and then nothing changes (the store is quiet for 2.5 s).
    await waitFor(
      async () => {
        const before = commits();
        await new Promise((r) => setTimeout(r, 2500));
        return commits() === before;
      },
      30_000,
      "a quiet store",
    );
    const writes = commits();
    const collects = await engineCollects();
    const READS = 50;
    for (let i = 0; i < READS; i++) {
      assert.deepEqual(await sessionNames(), ["r1", "r2", "r3"]);
      assert.equal((await windowNames("r2")).length, 1);
      assert.equal((await paneIds("r3")).length, 1);
    }
    await get("/api/tmux/activity/delta?since=0");
    assert.equal(commits(), writes, "the reads committed a write to the store");
    // Timed listings may run meanwhile (one every 2 s); a collect per read would be at least READS more.
    const ran = (await engineCollects()) - collects;
    assert.ok(ran < READS / 2, `${ran} collects during ${READS * 3} reads`);
  });

  test("a read right after a mutation through the API shows it", async () => {
    await expectStatus(
      await server.api("/api/tmux/sessions", { method: "POST", json: { name: "fresh" } }),
      201,
    );
    assert.ok((await sessionNames()).includes("fresh"), "created session listed");

    await expectStatus(
      await server.api("/api/tmux/sessions/fresh", { method: "PATCH", json: { newName: "fresh2" } }),
      200,
    );
    const renamed = await sessionNames();
    assert.ok(renamed.includes("fresh2") && !renamed.includes("fresh"), renamed.join(","));

    await expectStatus(await server.api("/api/tmux/sessions/fresh2/new-window", { method: "POST" }), 204);
    assert.equal((await windowNames("fresh2")).length, 2);
    await expectStatus(
      await server.api("/api/tmux/sessions/fresh2/rename-window", {
        method: "POST",
        json: { index: 0, name: "w0" },
      }),
      204,
    );
    assert.equal((await windowNames("fresh2"))[0], "w0");

    const [first] = await paneIds("fresh2");
    await expectStatus(
      await server.api("/api/tmux/sessions/fresh2/split-pane", {
        method: "POST",
        json: { paneId: first, direction: "vertical" },
      }),
      204,
    );
    const split = await paneIds("fresh2");
    assert.equal(split.length, 3);
    await expectStatus(
      await server.api("/api/tmux/sessions/fresh2/kill-pane", { method: "POST", json: { paneId: first } }),
      204,
    );
    assert.deepEqual(
      await paneIds("fresh2"),
      split.filter((id) => id !== first),
    );

    await expectStatus(await server.api("/api/tmux/sessions/fresh2?confirm=1", { method: "DELETE" }), 204);
    assert.ok(!(await sessionNames()).includes("fresh2"), "killed session gone");
  });
});
