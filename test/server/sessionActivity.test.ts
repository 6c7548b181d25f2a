// session.activity on the ops timeline (issue 14 item 2, spec §4.1 step 11, §8), against the real server and a real
// tmux: output with a marker in a pane gives the session tmux timeline rows, and GET /api/ops/timeline then lists
// a `session.activity` entry for it (source watchtower, severity info, resource = the session); a quiet session
// gets none.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { OpsTimelineEvent, TimelineResponse } from "../../src/protocol/ops.js";
import { type ServerHandle, startServer } from "./serverFixture.js";
import { startTmux, type TmuxFixture, waitFor } from "./tmuxFixture.js";

let tmux: TmuxFixture;
let server: ServerHandle;

before(async () => {
  tmux = await startTmux();
  await tmux.newSession("loud");
  await tmux.newSession("calm");
  server = await startServer({ tmuxSocket: tmux.socket });
});

after(async () => {
  await server?.stop();
  await tmux?.close();
});

async function timeline(query: string): Promise<OpsTimelineEvent[]> {
  const res = await server.api(`/api/ops/timeline?${query}`);
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return (JSON.parse(text) as { data: TimelineResponse }).data.events;
}

async function tmuxTimelineRows(session: string): Promise<number> {
  const res = await server.api(`/api/tmux/timeline?session=${session}&limit=500`);
  assert.equal(res.status, 200);
  return ((await res.json()) as { data: { events: unknown[] } }).data.events.length;
}

test("output with a marker in a pane: GET /api/ops/timeline lists session.activity for that session", async () => {
  // Let the first collect see both sessions before the output, so the marker is new output.
  await waitFor(async () => (await server.api("/api/tmux/sessions")).ok, 8000, "the session list");
  await tmux.tmux("send-keys", "-t", "=loud:0", "-l", "echo build-FAILED-$((6*7))");
  await tmux.tmux("send-keys", "-t", "=loud:0", "Enter");
  const entry = (await waitFor(
    async () => (await timeline("eventType=session.activity&resource=loud"))[0],
    15_000,
    "a session.activity entry for loud",
  ))!;
  assert.equal(entry.source, "watchtower");
  assert.equal(entry.severity, "info");
  assert.equal(entry.resource, "loud");
  assert.equal(entry.message, "Terminal activity detected in loud");
  assert.match(entry.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  // The route's filters find it as the web client's Timeline page asks for it.
  assert.ok((await timeline("source=watchtower")).some((e) => e.id === entry.id));
  assert.ok((await timeline("q=loud")).some((e) => e.id === entry.id));
  assert.ok((await timeline("")).some((e) => e.id === entry.id));
  // The session did get tmux timeline rows; entries never outnumber them (one per collect at most, debounced).
  const rows = await tmuxTimelineRows("loud");
  assert.ok(rows >= 1);
  assert.ok((await timeline("eventType=session.activity&resource=loud")).length <= rows);
  // A session without timeline rows gets no entry.
  assert.equal(await tmuxTimelineRows("calm"), 0);
  assert.deepEqual(await timeline("eventType=session.activity&resource=calm"), []);
});
