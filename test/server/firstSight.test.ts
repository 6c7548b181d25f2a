// Honest unread and activity (issue 16): output panes had before the server first listed tmux is not unread, and
// its time is tmux's (window_activity), not the server's first look; those times stay across a server restart;
// output after the start is unread as before. Real server, real tmux on a private socket.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type ServerHandle, startServer } from "./serverFixture.js";
import { startTmux, type TmuxFixture, waitFor } from "./tmuxFixture.js";

let tmux: TmuxFixture;
let server: ServerHandle | undefined;
let dataDir: string;

before(async () => {
  tmux = await startTmux();
  dataDir = mkdtempSync(join(tmpdir(), "sentinel-first-sight-"));
});

after(async () => {
  await server?.stop();
  await tmux?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

interface PaneView {
  paneId: string;
  tailPreview?: string;
  revision: number;
  hasUnread: boolean;
  changedAt: string;
}

async function panes(s: ServerHandle): Promise<PaneView[]> {
  const res = await s.api("/api/tmux/sessions/old/panes");
  assert.equal(res.status, 200);
  return ((await res.json()) as { data: { panes: PaneView[] } }).data.panes;
}

test("output from before the server's start is read and keeps tmux's time, across a restart too", async () => {
  await tmux.newSession("old");
  await tmux.tmux("send-keys", "-t", "=old:", "echo before-$((40+2))", "Enter");
  await waitFor(async () => (await tmux.tmux("capture-pane", "-p", "-t", "=old:")).includes("before-42"));
  const printedBy = Date.now();
  // tmux keeps whole seconds: the start must be visibly later than the output.
  await new Promise((r) => setTimeout(r, 2100));
  const startedAt = Date.now();
  server = await startServer({ tmuxSocket: tmux.socket, dataDir });
  const first = (await waitFor(async () => {
    const [p] = await panes(server!);
    return p?.tailPreview?.includes("before-42") ? p : undefined;
  }, 15_000))!;
  assert.equal(first.hasUnread, false, JSON.stringify(first));
  assert.ok(
    Date.parse(first.changedAt) <= printedBy,
    `changedAt ${first.changedAt} is tmux's, before the start`,
  );
  assert.ok(Date.parse(first.changedAt) < startedAt);
  const sessions = (await (await server.api("/api/tmux/sessions")).json()) as {
    data: { sessions: Array<{ name: string; unreadPanes: number; activityAt: string }> };
  };
  const old = sessions.data.sessions.find((s) => s.name === "old")!;
  assert.equal(old.unreadPanes, 0);
  assert.equal(old.activityAt, first.changedAt);

  // A restart keeps the times.
  await server.stop();
  server = await startServer({ tmuxSocket: tmux.socket, dataDir });
  await new Promise((r) => setTimeout(r, 3000));
  const [again] = await panes(server);
  assert.deepEqual([again!.changedAt, again!.hasUnread], [first.changedAt, false]);

  // Output after the start is news.
  await tmux.tmux("send-keys", "-t", "=old:", "echo after-$((40+2))", "Enter");
  const later = (await waitFor(async () => {
    const [p] = await panes(server!);
    return p?.tailPreview?.includes("after-42") ? p : undefined;
  }, 15_000))!;
  assert.equal(later.hasUnread, true);
  assert.ok(Date.parse(later.changedAt) > Date.parse(first.changedAt));
});
