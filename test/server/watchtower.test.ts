// The watchtower (spec §4, §1.4–§1.5, §3.5; ADR 0004) against the real server and a real tmux on a private
// socket: unread counts from output, focused panes read at once, presence expiry, seen for every scope and its
// invalid inputs, the delta with journal overflow, stats and timeline, tmux changes made outside the server,
// unread state kept across a restart, and a corrupt database file.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";
import type { ServerHandle } from "./serverFixture.js";
import { startServer } from "./serverFixture.js";
import { startTmux, type TmuxFixture, waitFor } from "./tmuxFixture.js";

type Json = Record<string, unknown>;
interface Envelope {
  eventId: number;
  type: string;
  payload?: Json;
}

let tmux: TmuxFixture;
let server: ServerHandle;
const dirs: string[] = [];
const extra: ServerHandle[] = [];

/**
 * Every pane runs a clean shell with the prompt `$`: no rc file (a user's ~/.bashrc can print late or hang), so a
 * pane writes only its prompt and what a test makes it write.
 */
const SHELL = "env PS1='$ ' bash --norc --noprofile";

before(async () => {
  tmux = await startTmux();
  await tmux.tmux("new-session", "-d", "-s", "u", "-x", "120", "-y", "40", SHELL);
  // For every later pane: split-window, new-window and the fixture's newSession.
  await tmux.tmux("set-option", "-g", "default-command", SHELL);
  await tmux.tmux("split-window", "-d", "-t", "=u:0");
  await tmux.tmux("new-window", "-d", "-t", "=u:1");
  await tmux.newSession("f");
  server = await startServer({ tmuxSocket: tmux.socket });
});

after(async () => {
  for (const h of extra) await h.stop();
  await server?.stop();
  await tmux?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), "sentinel-wt-data-"));
  dirs.push(d);
  return d;
};

async function json(res: Response): Promise<Json> {
  const text = await res.text();
  return text ? (JSON.parse(text) as Json) : {};
}

async function get(path: string, h = server): Promise<Json> {
  const res = await h.api(path);
  const body = await json(res);
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.data as Json;
}

async function expectError(res: Response, status: number, code: string, message: string) {
  const body = await json(res);
  assert.equal(res.status, status, JSON.stringify(body));
  assert.deepEqual(body, { error: { code, message } });
}

const sessions = async (h = server) => (await get("/api/tmux/sessions", h)).sessions as Json[];
const sessionOf = async (name: string, h = server) => (await sessions(h)).find((s) => s.name === name);
const panes = async (name: string, h = server) =>
  (await get(`/api/tmux/sessions/${name}/panes`, h)).panes as Json[];
const paneIds = async (target: string) =>
  (await tmux.tmux("list-panes", "-t", target, "-F", "#{pane_id}")).trim().split("\n");
const say = (pane: string, text: string) => tmux.tmux("send-keys", "-t", pane, `echo ${text}`, "Enter");
const seenHttp = (session: string, body: unknown, h = server) =>
  h.api(`/api/tmux/sessions/${session}/seen`, { method: "POST", json: body });

/** Waits until the pane's projected tail contains `text`; returns the pane. */
async function paneShowing(session: string, paneId: string, text: string, h = server): Promise<Json> {
  const found = await waitFor(
    async () => {
      const p = (await panes(session, h)).find((x) => x.paneId === paneId);
      return p && String(p.tailPreview ?? "").includes(text) ? p : undefined;
    },
    8000,
    `${paneId} showing ${text}`,
  );
  return found!;
}

interface Sub {
  ws: WebSocket;
  messages: Envelope[];
  close(): Promise<void>;
}

function subscribe(h = server): Promise<Sub> {
  const ws = new WebSocket(`${h.url.replace("http", "ws")}/ws/events`, ["sentinel.v1"], {
    headers: { authorization: `Bearer ${h.token}` },
  });
  const messages: Envelope[] = [];
  ws.on("message", (data) => messages.push(JSON.parse(data.toString()) as Envelope));
  ws.on("error", () => undefined);
  const closed = new Promise<void>((resolve) => ws.once("close", () => resolve()));
  return new Promise((resolve, reject) => {
    ws.once("unexpected-response", (_q, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once("open", async () => {
      await waitFor(() => messages.length > 0, 5000, "events.ready");
      resolve({
        ws,
        messages,
        close: async () => {
          ws.close();
          await closed;
        },
      });
    });
  });
}

/**
 * Waits until every pane of the session is idle at its prompt in the projection: its tail ends with the prompt
 * line `$`, so what the shell printed for the last command (and the prompt after it) has been collected.
 */
async function settled(session: string, h = server) {
  await waitFor(
    async () => {
      const list = await panes(session, h);
      return list.length > 0 && list.every((p) => /(^|\n)\$$/.test(String(p.tailPreview ?? "")));
    },
    8000,
    `every pane of ${session} at its prompt`,
  );
}

/**
 * Marks the whole session seen so that a test starts from zero unread. Only once its panes are idle: output that
 * is still arriving (a shell's first prompt, the prompt after a command) would be a new revision after the seen,
 * unread again.
 */
async function clearUnread(session: string) {
  await settled(session);
  const res = await seenHttp(session, { scope: "session" });
  assert.equal(res.status, 200);
  await res.text();
  await waitFor(async () => (await sessionOf(session))?.unreadPanes === 0, 5000, "no unread");
}

describe("unread from output (§4.1, §4.2)", () => {
  test("output in an unfocused pane raises its revision and the unread counts; activity events follow", async () => {
    const [p0, p1] = await paneIds("=u:0");
    await clearUnread("u");
    const before = (await panes("u")).find((p) => p.paneId === p1)!;
    const sub = await subscribe();
    try {
      await say(p1!, "unread-one");
      const activity = (await waitFor(
        () =>
          sub.messages.find(
            (m) =>
              m.type === "tmux.activity.updated" &&
              ((m.payload?.sessionPatches ?? []) as Json[]).some(
                (s) => s.name === "u" && s.unreadPanes === 1,
              ),
          ),
        8000,
        "tmux.activity.updated with one unread pane",
      ))!;
      // tmux.sessions.updated {action:"activity"} with the same content comes right before it.
      const i = sub.messages.indexOf(activity);
      const sessionsEvent = sub.messages[i - 1]!;
      assert.equal(sessionsEvent.type, "tmux.sessions.updated");
      assert.equal(sessionsEvent.eventId, activity.eventId - 1);
      const { action, ...rest } = sessionsEvent.payload!;
      assert.equal(action, "activity");
      assert.deepEqual(rest, activity.payload);
      assert.deepEqual(Object.keys(activity.payload!).sort(), [
        "globalRev",
        "inspectorPatches",
        "sessionPatches",
        "sessions",
      ]);
      assert.ok((activity.payload!.sessions as string[]).includes("u"));
      const inspector = (activity.payload!.inspectorPatches as Json[]).find((x) => x.session === "u")!;
      const patched = (inspector.panes as Json[]).find((p) => p.paneId === p1)!;
      assert.equal(patched.hasUnread, true);
      assert.equal((inspector.panes as Json[]).find((p) => p.paneId === p0)!.hasUnread, false);
      // Every key of a PanePatch is present (§3.4).
      assert.deepEqual(Object.keys(patched).sort(), [
        "active",
        "changedAt",
        "currentCommand",
        "currentPath",
        "hasUnread",
        "paneId",
        "paneIndex",
        "revision",
        "seenRevision",
        "session",
        "startCommand",
        "tailPreview",
        "title",
        "tty",
        "windowIndex",
      ]);
      const after = await paneShowing("u", p1!, "unread-one");
      assert.ok((after.revision as number) > (before.revision as number));
      assert.ok((after.revision as number) > (after.seenRevision as number));
      const u = await sessionOf("u");
      assert.ok((u!.unreadPanes as number) >= 1 && u!.unreadWindows === 1);
      const windows = (await get("/api/tmux/sessions/u/windows")).windows as Json[];
      assert.equal(windows.find((w) => w.index === 0)!.hasUnread, true);
      assert.equal(windows.find((w) => w.index === 1)!.hasUnread, false);
    } finally {
      await sub.close();
    }
  });

  test("a focused pane's new output is read at once; what was unread before focus stays unread", async () => {
    const [p0, p1] = await paneIds("=u:0");
    await clearUnread("u");
    await say(p1!, "left-unread");
    await paneShowing("u", p1!, "left-unread");
    const res = await server.api("/api/tmux/presence", {
      method: "PUT",
      json: { terminalId: "term-1", session: "u", windowIndex: 0, paneId: p0, visible: true, focused: true },
    });
    const body = await json(res);
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(body.data as Json).sort(), ["accepted", "expiresAt"]);
    const expiresAt = Date.parse(String((body.data as Json).expiresAt));
    assert.match(String((body.data as Json).expiresAt), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.ok(Math.abs(expiresAt - (Date.now() + 30_000)) < 2000, "expires in 30 s");
    // The focus does not read what was unread before it.
    await paneShowing("u", p1!, "left-unread");
    await say(p0!, "focused-output");
    const p = await paneShowing("u", p0!, "focused-output");
    assert.equal(p.seenRevision, p.revision);
    assert.equal(p.hasUnread, false);
    // Output in another pane is still unread.
    await say(p1!, "still-unread");
    const other = await paneShowing("u", p1!, "still-unread");
    assert.equal(other.hasUnread, true);
    const u = await sessionOf("u");
    assert.equal(u!.unreadPanes, 1);
    // Unfocus, so the other tests start without a focused pane.
    const unfocus = await server.api("/api/tmux/presence", {
      method: "PUT",
      json: { terminalId: "term-1", session: "u", windowIndex: 0, paneId: p0, visible: true, focused: false },
    });
    assert.equal(unfocus.status, 200);
  });

  test("presence over /ws/events focuses too, and expires with its TTL", async () => {
    const h = await startServer({ tmuxSocket: tmux.socket, env: { SENTINEL_PRESENCE_TTL: "1500ms" } });
    extra.push(h);
    const [pane] = await paneIds("=f:0");
    await paneShowing("f", pane!, "", h);
    const sub = await subscribe(h);
    try {
      sub.ws.send(
        JSON.stringify({
          type: "presence",
          terminalId: "t-ws",
          session: "f",
          windowIndex: 0,
          paneId: pane,
          visible: true,
          focused: true,
        }),
      );
      await new Promise((r) => setTimeout(r, 100));
      await say(pane!, "read-while-focused");
      const read = await paneShowing("f", pane!, "read-while-focused", h);
      assert.equal(read.hasUnread, false);
      await new Promise((r) => setTimeout(r, 1800));
      await say(pane!, "after-expiry");
      const unread = await paneShowing("f", pane!, "after-expiry", h);
      assert.equal(unread.hasUnread, true, "the expired presence no longer focuses the pane");
    } finally {
      await sub.close();
    }
  });

  test("presence: the spec's 400 messages; invalid presence over /ws/events is dropped without a reply", async () => {
    const put = (body: unknown) => server.api("/api/tmux/presence", { method: "PUT", json: body });
    await expectError(await put({ session: "u" }), 400, "INVALID_REQUEST", "terminalId is required");
    await expectError(
      await put({ terminalId: "t", session: "bad name" }),
      400,
      "INVALID_REQUEST",
      "invalid session name",
    );
    await expectError(
      await put({ terminalId: "t", windowIndex: -2 }),
      400,
      "INVALID_REQUEST",
      "windowIndex must be >= -1",
    );
    await expectError(
      await put({ terminalId: "t", paneId: "4" }),
      400,
      "INVALID_REQUEST",
      "paneId must start with %",
    );
    await expectError(await put({ terminalId: "t", extra: 1 }), 400, "INVALID_REQUEST", "invalid json body");
    const ok = await put({ terminalId: "t", windowIndex: -1 });
    assert.equal(ok.status, 200);
    await ok.text();
    const sub = await subscribe();
    try {
      const before = sub.messages.length;
      sub.ws.send(JSON.stringify({ type: "presence", terminalId: "", session: "u" }));
      await new Promise((r) => setTimeout(r, 200));
      assert.ok(sub.messages.slice(before).every((m) => m.type !== "tmux.seen.ack" && m.eventId > 0));
    } finally {
      await sub.close();
    }
  });
});

describe("seen (§3.5, §4.4)", () => {
  async function makeUnread(): Promise<{ p0: string; p1: string; p2: string }> {
    const [p0, p1] = await paneIds("=u:0");
    const [p2] = await paneIds("=u:1");
    const tag = Math.random().toString(36).slice(2, 8);
    for (const p of [p0!, p1!, p2!]) await say(p, `seen-${tag}`);
    for (const p of [p0!, p1!, p2!]) {
      await waitFor(
        async () =>
          (await panes("u")).find(
            (x) => x.paneId === p && String(x.tailPreview).includes(tag) && x.hasUnread,
          ),
        8000,
        `${p} unread`,
      );
    }
    // The prompt after each echo is in too: nothing arrives after the seen calls below.
    await settled("u");
    return { p0: p0!, p1: p1!, p2: p2! };
  }

  test("HTTP: pane, window and session scopes; acked only when something changed; the broadcasts follow", async () => {
    const { p0, p1, p2 } = await makeUnread();
    const sub = await subscribe();
    try {
      let res = await seenHttp("u", { scope: "Pane", paneId: p0 });
      let body = (await json(res)).data as Json;
      assert.equal(res.status, 200);
      assert.deepEqual(Object.keys(body).sort(), [
        "acked",
        "globalRev",
        "inspectorPatches",
        "scope",
        "session",
        "sessionPatches",
      ]);
      assert.equal(body.scope, "pane");
      assert.equal(body.acked, true);
      const patch = (body.sessionPatches as Json[])[0]!;
      assert.equal(patch.name, "u");
      assert.equal(patch.unreadPanes, 2);
      const inspector = (body.inspectorPatches as Json[])[0]!;
      assert.equal((inspector.panes as Json[]).find((p) => p.paneId === p0)!.hasUnread, false);
      assert.equal((inspector.panes as Json[]).find((p) => p.paneId === p1)!.hasUnread, true);
      const stats = (await get("/api/tmux/activity/stats")) as Json;
      assert.equal(body.globalRev, stats.globalRev, "seen reports the current revision and does not bump it");

      // The broadcasts: inspector seen, then sessions seen with the same patches.
      const seenEvents = (await waitFor(
        () => {
          const list = sub.messages.filter((m) => m.payload?.action === "seen");
          return list.length >= 2 ? list : undefined;
        },
        5000,
        "seen broadcasts",
      ))!;
      assert.equal(seenEvents[0]!.type, "tmux.inspector.updated");
      assert.deepEqual(seenEvents[0]!.payload, { session: "u", action: "seen", scope: "pane" });
      assert.equal(seenEvents[1]!.type, "tmux.sessions.updated");
      assert.deepEqual(seenEvents[1]!.payload, {
        session: "u",
        action: "seen",
        scope: "pane",
        globalRev: body.globalRev,
        sessionPatches: body.sessionPatches,
        inspectorPatches: body.inspectorPatches,
      });

      // The same pane again: nothing to ack, patches still there, no broadcast.
      res = await seenHttp("u", { scope: "pane", paneId: p0 });
      body = (await json(res)).data as Json;
      assert.equal(body.acked, false);
      assert.ok(Array.isArray(body.sessionPatches));

      // Window 1 (p2 only), then window 0 (p1), then the session (nothing left).
      body = (await json(await seenHttp("u", { scope: "window", windowIndex: 1 }))).data as Json;
      assert.equal(body.acked, true);
      assert.equal((body.sessionPatches as Json[])[0]!.unreadPanes, 1);
      body = (await json(await seenHttp("u", { scope: "window" }))).data as Json;
      assert.equal(body.acked, true, "a missing windowIndex is window 0");
      assert.equal((body.sessionPatches as Json[])[0]!.unreadPanes, 0);
      assert.equal((body.sessionPatches as Json[])[0]!.unreadWindows, 0);
      body = (await json(await seenHttp("u", { scope: "session" }))).data as Json;
      assert.equal(body.acked, false);
      const pane2 = (await panes("u")).find((p) => p.paneId === p2)!;
      assert.equal(pane2.seenRevision, pane2.revision);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(
        sub.messages.filter((m) => m.payload?.action === "seen").length,
        6,
        "3 acked seens × 2 events",
      );
    } finally {
      await sub.close();
    }
  });

  test("HTTP: a session-wide seen reads every pane; an unknown session answers acked:false without patches", async () => {
    await makeUnread();
    const body = (await json(await seenHttp("u", { scope: "session" }))).data as Json;
    assert.equal(body.acked, true);
    assert.equal((body.sessionPatches as Json[])[0]!.unreadPanes, 0);
    const res = await seenHttp("nosuch", { scope: "session" });
    assert.equal(res.status, 200);
    const none = (await json(res)).data as Json;
    assert.deepEqual(Object.keys(none).sort(), ["acked", "globalRev", "scope", "session"]);
    assert.equal(none.acked, false);
  });

  test("HTTP: invalid inputs are 400 INVALID_REQUEST with the spec's messages", async () => {
    const bad = "INVALID_REQUEST";
    await expectError(await seenHttp("u", {}), 400, bad, "scope is required");
    await expectError(await seenHttp("u", { scope: "  " }), 400, bad, "scope is required");
    await expectError(
      await seenHttp("u", { scope: "tab" }),
      400,
      bad,
      "scope must be pane, window, or session",
    );
    await expectError(await seenHttp("u", { scope: "pane" }), 400, bad, "paneId must start with %");
    await expectError(
      await seenHttp("u", { scope: "pane", paneId: "3" }),
      400,
      bad,
      "paneId must start with %",
    );
    await expectError(
      await seenHttp("u", { scope: "window", windowIndex: -1 }),
      400,
      bad,
      "windowIndex must be >= 0",
    );
    await expectError(await seenHttp("bad%20name", { scope: "session" }), 400, bad, "invalid session name");
    await expectError(await seenHttp("u", { scope: "pane", requestId: "x" }), 400, bad, "invalid json body");
    await expectError(await seenHttp("u", { scope: 3 }), 400, bad, "invalid json body");
  });

  test("/ws/events: the ack's shape for each scope, and the validation errors", async () => {
    const { p1 } = await makeUnread();
    const sub = await subscribe();
    try {
      const ask = async (msg: Json) => {
        const requestId = `r-${Math.random().toString(36).slice(2)}`;
        sub.ws.send(JSON.stringify({ type: "seen", requestId, ...msg }));
        return (await waitFor(
          () => sub.messages.find((m) => (m as unknown as Json).requestId === requestId),
          5000,
          "ack",
        )) as unknown as Json;
      };
      const pane = await ask({ session: "u", scope: "PANE", paneId: p1 });
      assert.equal(pane.type, "tmux.seen.ack");
      assert.deepEqual(
        { ...pane, sessionPatches: undefined, inspectorPatches: undefined },
        {
          type: "tmux.seen.ack",
          requestId: pane.requestId,
          session: "u",
          scope: "pane",
          acked: true,
          globalRev: pane.globalRev,
          paneId: p1,
          windowIndex: 0,
          sessionPatches: undefined,
          inspectorPatches: undefined,
        },
      );
      assert.ok(Array.isArray(pane.sessionPatches) && Array.isArray(pane.inspectorPatches));
      const win = await ask({ session: "u", scope: "window", windowIndex: 1 });
      assert.equal(win.windowIndex, 1);
      assert.equal("paneId" in win, false);
      assert.equal(win.acked, true);
      const all = await ask({ session: "u", scope: "session", windowIndex: -1 });
      assert.equal("windowIndex" in all, false);
      assert.equal(all.acked, true);
      for (const [msg, error] of [
        [{ session: "bad name", scope: "pane", paneId: "%1" }, "invalid session name"],
        [{ session: "u", scope: "nope" }, "scope must be pane, window, or session"],
        [{ session: "u", scope: "pane", paneId: "x" }, "paneId must start with %"],
        [{ session: "u", scope: "window", windowIndex: -3 }, "windowIndex must be >= 0"],
      ] as Array<[Json, string]>) {
        const ack = await ask(msg);
        assert.equal(ack.acked, false);
        assert.equal(ack.globalRev, 0);
        assert.equal(ack.error, error);
        assert.equal("sessionPatches" in ack || "inspectorPatches" in ack, false);
      }
    } finally {
      await sub.close();
    }
  });
});

describe("activity delta, stats and timeline (§1.5)", () => {
  test("delta: validation, patches per session, limit clamped", async () => {
    const bad = "INVALID_REQUEST";
    for (const q of ["since=-1", "since=x", "since=1.5"])
      await expectError(await server.api(`/api/tmux/activity/delta?${q}`), 400, bad, "since must be >= 0");
    for (const q of ["limit=0", "limit=-3", "limit=ten"])
      await expectError(await server.api(`/api/tmux/activity/delta?${q}`), 400, bad, "limit must be > 0");
    const all = await get("/api/tmux/activity/delta?limit=5000");
    assert.equal(all.limit, 1000);
    assert.equal(all.since, 0);
    const globalRev = all.globalRev as number;
    assert.ok(globalRev > 0);
    const changes = all.changes as Json[];
    assert.ok(changes.length > 0);
    assert.deepEqual(Object.keys(changes[0]!).sort(), [
      "changeKind",
      "changedAt",
      "entityType",
      "globalRev",
      "id",
      "paneId",
      "session",
      "windowIndex",
    ]);
    const names = new Set(changes.map((c) => c.session));
    const live = new Set((await sessions()).map((s) => s.name));
    assert.deepEqual(
      new Set((all.sessionPatches as Json[]).map((p) => p.name)),
      new Set([...names].filter((n) => live.has(n))),
    );
    const now = await get(`/api/tmux/activity/delta?since=${globalRev}`);
    assert.deepEqual(now.changes, []);
    assert.equal(now.overflow, false);
    assert.equal("sessionPatches" in now, false);
  });

  test("journal overflow: since older than the kept journal, or a page too small, or since ahead", async () => {
    const h = await startServer({ tmuxSocket: tmux.socket, env: { SENTINEL_WATCHTOWER_JOURNAL_ROWS: "3" } });
    extra.push(h);
    const [pane] = await paneIds("=f:0");
    for (let i = 0; i < 5; i++) {
      const before = (await get("/api/tmux/activity/stats", h)).globalRev as number;
      await say(pane!, `journal-${i}`);
      await waitFor(
        async () => ((await get("/api/tmux/activity/stats", h)).globalRev as number) > before,
        8000,
        "a change",
      );
    }
    // The shell's prompt after the last echo may come in a collect of its own: wait until nothing changes.
    let rev = -1;
    await waitFor(
      async () => {
        const before = rev;
        await new Promise((r) => setTimeout(r, 1200));
        rev = (await get("/api/tmux/activity/stats", h)).globalRev as number;
        return rev === before;
      },
      15_000,
      "a quiet journal",
    );
    assert.ok(rev >= 5);
    const old = await get("/api/tmux/activity/delta?since=0", h);
    assert.equal(old.overflow, true, "since 0 predates the 3 kept rows");
    assert.equal((old.changes as Json[]).length, 3);
    const recent = await get(`/api/tmux/activity/delta?since=${rev - 2}`, h);
    assert.equal(recent.overflow, false);
    assert.deepEqual(
      (recent.changes as Json[]).map((c) => c.globalRev),
      [rev - 1, rev],
    );
    const page = await get(`/api/tmux/activity/delta?since=${rev - 2}&limit=1`, h);
    assert.equal(page.overflow, true);
    assert.equal((page.changes as Json[]).length, 1);
    const ahead = await get(`/api/tmux/activity/delta?since=${rev + 100}`, h);
    assert.equal(ahead.overflow, true, "a revision from another store (recreated, or another server)");
  });

  test("stats: the spec's fields and the raw runtime keys", async () => {
    const stats = await get("/api/tmux/activity/stats");
    for (const k of [
      "globalRev",
      "collectTotal",
      "collectErrorsTotal",
      "lastCollectDurationMs",
      "lastCollectSessions",
      "lastCollectChanged",
    ])
      assert.ok(Number.isInteger(stats[k]), k);
    assert.ok((stats.collectTotal as number) > 0);
    assert.equal(stats.collectErrorsTotal, 0);
    assert.match(String(stats.lastCollectAt), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(stats.lastCollectError, "");
    const runtime = stats.runtime as Record<string, string>;
    assert.equal(runtime.global_rev, String(stats.globalRev));
    assert.equal(runtime.collect_total, String(stats.collectTotal));
    assert.equal((stats.engine as Json).mode, "scan", "the default mode");
    assert.equal((stats.engine as Json).monitors, 0, "no control clients");
  });

  test("timeline: output markers and command lifecycle, searchable; the spec's 400 messages", async () => {
    const [pane] = await paneIds("=u:1");
    const sub = await subscribe();
    try {
      await say(pane!, "panic-at-the-disco | tr a-z A-Z");
      const marker = (await waitFor(
        async () => {
          const { events } = await get(`/api/tmux/timeline?session=u&eventType=output.marker&q=DISCO`);
          return (events as Json[])[0];
        },
        8000,
        "an output marker",
      ))!;
      assert.equal(marker.severity, "error");
      assert.equal(marker.marker, "panic");
      assert.equal(marker.paneId, pane);
      assert.equal(marker.windowIndex, 1);
      assert.match(String(marker.createdAt), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.equal(typeof marker.metadata, "object");
      assert.equal((marker.metadata as Json).paneIndex, 0);
      await waitFor(
        () =>
          sub.messages.find(
            (m) =>
              m.type === "tmux.timeline.updated" && ((m.payload?.sessions ?? []) as string[]).includes("u"),
          ),
        5000,
        "tmux.timeline.updated",
      );
      await tmux.tmux("send-keys", "-t", pane!, "sleep 2", "Enter");
      const lifecycle = await waitFor(
        async () => {
          const { events } = await get(`/api/tmux/timeline?paneId=${encodeURIComponent(pane!)}&q=sleep`);
          const list = events as Json[];
          return list.some((e) => e.eventType === "command.finished") ? list : undefined;
        },
        15_000,
        "sleep started and finished",
      );
      const finished = lifecycle!.find((e) => e.eventType === "command.finished")!;
      const started = lifecycle!.find((e) => e.eventType === "command.started")!;
      assert.equal(started.summary, "command started: sleep");
      assert.equal(finished.summary, "command finished: sleep");
      assert.ok((finished.durationMs as number) >= 1000, `duration ${finished.durationMs}`);
      assert.ok((finished.id as number) > (started.id as number));
      const page = await get("/api/tmux/timeline?limit=1");
      assert.equal((page.events as Json[]).length, 1);
      assert.equal(page.hasMore, true);
    } finally {
      await sub.close();
    }
    const bad = "INVALID_REQUEST";
    const tl = (q: string) => server.api(`/api/tmux/timeline?${q}`);
    await expectError(await tl("session=a%20b"), 400, bad, "invalid session name");
    await expectError(await tl("windowIndex=-1"), 400, bad, "windowIndex must be >= 0");
    await expectError(await tl("paneId=12"), 400, bad, "paneId must start with %");
    await expectError(await tl("since=yesterday"), 400, bad, "since must be RFC3339");
    await expectError(await tl("until=2026-02-15"), 400, bad, "until must be RFC3339");
    await expectError(await tl("limit=0"), 400, bad, "limit must be > 0");
    const ignored = await server.api("/api/tmux/timeline?severity=loud&since=2000-01-01T00:00:00Z");
    assert.equal(ignored.status, 200, "an unknown severity is ignored");
    await ignored.text();
  });
});

describe("tmux changes made outside the server", () => {
  test("a session created, renamed and killed with the tmux CLI is followed; the live set is announced", async () => {
    const sub = await subscribe();
    try {
      await tmux.newSession("outside");
      await waitFor(
        () =>
          sub.messages.find(
            (m) =>
              m.type === "tmux.activity.updated" &&
              ((m.payload?.sessions ?? []) as string[]).includes("outside"),
          ),
        8000,
        "activity for the new session",
      );
      await tmux.tmux("rename-session", "-t", "=outside", "outside2");
      await waitFor(
        async () => (await sessionOf("outside2")) && !(await sessionOf("outside")),
        8000,
        "rename",
      );
      await tmux.tmux("kill-session", "-t", "=outside2");
      await waitFor(
        () =>
          sub.messages.find((m) => m.type === "tmux.sessions.updated" && m.payload?.action === "live-set"),
        8000,
        "live-set",
      );
      // The live set above may be the create's or the rename's: the kill is followed within the probe's interval.
      await waitFor(async () => (await sessionOf("outside2")) === undefined, 8000, "the kill followed");
      const clients = await tmux.tmux("list-clients", "-F", "#{client_session}");
      assert.ok(!clients.includes("outside"), "its control client is gone too");
    } finally {
      await sub.close();
    }
  });

  test("the default mode attaches no control-mode client, not even through a burst of new sessions (ADR 0013)", async () => {
    const controlClients = async () =>
      (await tmux.tmux("list-clients", "-F", "#{client_control_mode} #{client_termname}"))
        .split("\n")
        .filter((l) => l.startsWith("1 "));
    const seen: string[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        seen.push(...(await controlClients()));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      const names = Array.from({ length: 8 }, (_, i) => `burst${i}`);
      for (const name of names) await tmux.newSession(name);
      await waitFor(
        async () => {
          const listed = new Set((await sessions()).map((s) => s.name));
          return names.every((n) => listed.has(n));
        },
        8000,
        "the burst's sessions listed",
      );
      for (const name of names) await tmux.tmux("kill-session", "-t", `=${name}`);
    } finally {
      sampling = false;
      await sampler;
    }
    assert.deepEqual(seen, [], "no control-mode client at any sample");
    assert.equal((await sessionOf("u"))!.attached, 0);
  });

  test("events mode (opt-in): its clients do not count as attached, leave the environment alone, and it warns", async () => {
    // A tmux server of its own: events mode attaches control clients (the tmux crash of ADR 0004).
    const own = await startTmux();
    await own.tmux("new-session", "-d", "-s", "envkeep", "-x", "80", "-y", "24", SHELL);
    // Without attach -E, tmux would copy update-environment variables from the client (which has none of
    // them) into the session, marking SSH_AUTH_SOCK and friends as removed.
    await own.tmux("set-environment", "-t", "=envkeep", "SSH_AUTH_SOCK", "/tmp/agent.sock");
    const h = await startServer({ tmuxSocket: own.socket, env: { SENTINEL_WATCHTOWER_MODE: "events" } });
    try {
      await waitFor(
        async () =>
          (await own.tmux("list-clients", "-F", "#{client_session} #{client_control_mode}")).includes(
            "envkeep 1",
          ),
        10_000,
        "a control client on envkeep",
      );
      const env = await own.tmux("show-environment", "-t", "=envkeep", "SSH_AUTH_SOCK");
      assert.equal(env.trim(), "SSH_AUTH_SOCK=/tmp/agent.sock");
      await waitFor(async () => (await sessionOf("envkeep", h)) !== undefined, 8000, "listed");
      assert.equal((await sessionOf("envkeep", h))!.attached, 0);
      assert.equal(((await get("/api/tmux/activity/stats", h)).engine as Json).mode, "events");
      assert.match(h.logs(), /watchtower_mode = events: .*can crash/);
    } finally {
      await h.stop();
      await own.close();
    }
  });
});

describe("control clients left by a server that died (ADR 0004)", () => {
  test("each client's TERM names its server; clients whose server is gone (SIGKILL) are removed by a live one", async () => {
    // A tmux server of its own: this test kills tmux clients.
    const own = await startTmux();
    await own.tmux("new-session", "-d", "-s", "o", "-x", "120", "-y", "40", SHELL);
    const clients = async () =>
      (await own.tmux("list-clients", "-F", "#{client_termname} #{client_pid}"))
        .trim()
        .split("\n")
        .filter((l) => l.startsWith("sentinel-watchtower-"))
        .map((l) => {
          const [term, pid] = l.split(" ");
          return { term: term!, pid: Number(pid) };
        });
    // The live server in the default mode (no clients of its own) removes what an events-mode server left.
    const live = await startServer({ tmuxSocket: own.socket });
    let orphan: ReturnType<typeof spawn> | undefined;
    let signal: string | null = null;
    try {
      const dying = await startServer({
        tmuxSocket: own.socket,
        env: { SENTINEL_WATCHTOWER_MODE: "events" },
      });
      const term = `sentinel-watchtower-${dying.pid}`;
      await waitFor(async () => (await clients()).some((c) => c.term === term), 8000, "its control client");
      dying.child.kill("SIGKILL");
      await dying.stop();
      // Whether tmux lets the dead server's client go depends on what it had queued (tmux 3.3a may keep it
      // forever); either way it is gone once the live server has collected (a GET collects at once).
      await waitFor(
        async () => {
          await get("/api/tmux/sessions", live);
          return !(await clients()).some((c) => c.term === term);
        },
        8000,
        "no client of the killed server",
      );
      // One that surely stays: its TERM names a process that has exited, and nobody reads it or closes its stdin.
      const dead = spawn("true");
      await once(dead, "exit");
      orphan = spawn(
        "tmux",
        ["-S", own.socket, "-C", "attach-session", "-f", "ignore-size,read-only", "-t", "=o"],
        { env: { ...process.env, TMUX: undefined, TERM: `sentinel-watchtower-${dead.pid}` }, stdio: "pipe" },
      );
      orphan.once("exit", (_code, s) => {
        signal = s ?? "exit";
      });
      await waitFor(
        async () => {
          await get("/api/tmux/sessions", live);
          return signal !== null;
        },
        8000,
        "the orphan removed",
      );
      assert.equal(signal, "SIGKILL");
      assert.match(live.logs(), /removed control clients left by a server that died/);
      const mine = (await clients()).filter((c) => c.term === `sentinel-watchtower-${live.pid}`);
      assert.equal(mine.length, 0, "the live server (scan mode) has no client of its own");
    } finally {
      if (orphan && signal === null) orphan.kill("SIGKILL");
      await live.stop();
      await own.close();
    }
  });
});

describe("the store across restarts", () => {
  test("a restart keeps unread state from SQLite", async () => {
    const dataDir = tempDir();
    const [p1] = (await paneIds("=u:0")).slice(1);
    const first = await startServer({ tmuxSocket: tmux.socket, dataDir });
    try {
      await waitFor(async () => (await sessionOf("u", first))?.rev, 8000, "projection");
      await (await seenHttp("u", { scope: "session" }, first)).text();
      await say(p1!, "before-restart");
      await paneShowing("u", p1!, "before-restart", first);
      // The session's unread count follows the pane's in the same or the next collect: the premise of the restart.
      await waitFor(
        async () => ((await sessionOf("u", first))?.unreadPanes as number) >= 1,
        8000,
        "the session's unread count before the restart",
      );
    } finally {
      await first.stop();
    }
    const stored = await (async () => {
      const second = await startServer({ tmuxSocket: tmux.socket, dataDir });
      try {
        // rev 0 is the tmux path (spec §1.2) answering before the restarted watchtower's first collect.
        const u = (await waitFor(
          async () => {
            const s = await sessionOf("u", second);
            return s && (s.rev as number) >= 1 ? s : undefined;
          },
          8000,
          "projection after restart",
        ))!;
        const pane = (await panes("u", second)).find((p) => p.paneId === p1)!;
        return { u, pane };
      } finally {
        await second.stop();
      }
    })();
    assert.equal(stored.pane.hasUnread, true, "the pane's unread mark survives the restart");
    assert.ok(
      (stored.u.unreadPanes as number) >= 1,
      `unreadPanes after the restart: ${stored.u.unreadPanes}`,
    );
    assert.ok(
      String(stored.pane.tailPreview).includes("before-restart"),
      "the stored tail survives the restart",
    );
  });

  test("a corrupt database file: the server starts, keeps the file aside and builds the projection anew", async () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, "sentinel.db"), Buffer.alloc(16_384, 0x5a));
    const h = await startServer({ tmuxSocket: tmux.socket, dataDir });
    try {
      assert.match(h.logs(), /kept it as .*sentinel\.db\.corrupt-/);
      assert.equal(readdirSync(dataDir).filter((f) => f.startsWith("sentinel.db.corrupt-")).length, 1);
      const u = (await waitFor(async () => sessionOf("u", h), 8000, "projection"))!;
      assert.ok((u.rev as number) >= 1);
      const stats = await get("/api/tmux/activity/stats", h);
      assert.ok((stats.globalRev as number) >= 1);
    } finally {
      await h.stop();
    }
  });
});
