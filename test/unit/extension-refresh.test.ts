// The refresh owner against a scripted server: the events socket's handshake, the initial full load, patches from
// events, gaps and reconnects reconciled by delta (or a full load when there is no delta route), mutation events
// re-reading what they touched, a poll only while the socket is down and the view visible, tmux missing.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { RefreshManager } from "../../src/extension/client/refreshManager.js";
import { SessionsModel } from "../../src/extension/client/sessionsModel.js";
import { Backoff } from "../../src/extension/util/backoff.js";
import { silentLogger } from "../../src/extension/util/log.js";
import type { Pane, Session, Window } from "../../src/protocol/api.js";
import { type FakeServer, startFakeServer, until } from "./extensionFakeServer.js";

const session = (name: string, extra: Partial<Session> = {}): Session => ({
  name,
  windows: 1,
  panes: 1,
  attached: 0,
  createdAt: "",
  activityAt: "",
  command: "",
  hash: "",
  lastContent: "",
  icon: "",
  unreadWindows: 0,
  unreadPanes: 0,
  rev: 1,
  ...extra,
});
const window = (s: string, index: number): Window => ({
  session: s,
  index,
  name: `w${index}`,
  active: index === 0,
  panes: 1,
  unreadPanes: 0,
  hasUnread: false,
  rev: 1,
});
const pane = (s: string, windowIndex: number, id: number): Pane => ({
  session: s,
  windowIndex,
  paneIndex: 0,
  paneId: `%${id}`,
  title: "",
  active: true,
  tty: "",
  revision: 0,
  seenRevision: 0,
  hasUnread: false,
});

let server: FakeServer;
let sessions: Session[];
let windows: Record<string, Window[]>;
let manager: RefreshManager | undefined;

before(async () => {
  server = await startFakeServer("secret-token");
});
after(async () => {
  await server.close();
});
afterEach(() => {
  manager?.dispose();
  manager = undefined;
  for (const s of server.eventSockets) s.ws.terminate();
  server.eventSockets.length = 0;
  server.requests.length = 0;
  server.refuseUpgrades = undefined;
  server.epoch = "epoch-1";
});

function serve() {
  sessions = [session("alpha"), session("beta")];
  windows = { alpha: [window("alpha", 0), window("alpha", 1)], beta: [window("beta", 0)] };
  server.routes.set("GET /api/tmux/sessions", () => ({ status: 200, body: { data: { sessions } } }));
  for (const name of ["alpha", "beta", "gamma"]) {
    server.routes.set(`GET /api/tmux/sessions/${name}/windows`, () => ({
      status: 200,
      body: { data: { windows: windows[name] ?? [] } },
    }));
    server.routes.set(`GET /api/tmux/sessions/${name}/panes`, () => ({
      status: 200,
      body: { data: { panes: (windows[name] ?? []).map((w) => pane(name, w.index, w.index + 10)) } },
    }));
  }
  server.routes.delete("GET /api/tmux/activity/delta");
}

function start(options: { visible?: boolean; pollIntervalMs?: number } = {}) {
  const model = new SessionsModel();
  manager = new RefreshManager({
    model,
    log: silentLogger,
    rereadDelayMs: 5,
    pollIntervalMs: options.pollIntervalMs ?? 60_000,
    eventsBackoff: new Backoff({ initialMs: 20, maxMs: 50, jitter: 0 }),
  });
  manager.setViewVisible(options.visible ?? false);
  manager.setEndpoint({ url: server.url, token: "secret-token" });
  return { model, manager };
}

const count = (prefix: string) => server.requests.filter((r) => r.startsWith(prefix)).length;

describe("refresh manager", () => {
  test("connects with sentinel.v1 + the auth subprotocol and loads everything once", async () => {
    serve();
    const { model, manager } = start();
    await until(() => manager.currentStatus.connection === "open", "socket open");
    await until(() => model.inspector("beta"), "inspectors loaded");
    const socket = server.eventSockets[0]!;
    assert.deepEqual(socket.protocols, [
      "sentinel.v1",
      `sentinel.auth.${Buffer.from("secret-token").toString("base64url")}`,
    ]);
    assert.equal(socket.url.search, "", "no since on the first connection");
    assert.deepEqual(
      model.sessions().map((s) => s.name),
      ["alpha", "beta"],
    );
    assert.equal(model.windows("alpha").length, 2);
    assert.equal(manager.currentStatus.loaded, true);
    assert.equal(count("GET /api/tmux/sessions"), 5, "1 list + 2×(windows, panes)");
  });

  test("patches from events update the model without HTTP; a gap reconciles through delta", async () => {
    serve();
    let deltaSince = -1;
    server.routes.set("GET /api/tmux/activity/delta", (_req, url) => {
      deltaSince = Number(url.searchParams.get("since"));
      return {
        status: 200,
        body: {
          data: {
            since: deltaSince,
            limit: 300,
            globalRev: 9,
            overflow: false,
            changes: [],
            sessionPatches: [{ ...session("beta", { unreadPanes: 3, unreadWindows: 1, rev: 5 }) }],
          },
        },
      };
    });
    const { model, manager } = start();
    await until(() => model.inspector("beta"), "loaded");
    const before = server.requests.length;
    server.send({
      eventId: 1,
      type: "tmux.sessions.updated",
      timestamp: "",
      payload: {
        action: "activity",
        sessions: ["alpha"],
        globalRev: 4,
        sessionPatches: [session("alpha", { unreadPanes: 1, unreadWindows: 1, rev: 2 })],
        inspectorPatches: [
          { session: "alpha", windows: [window("alpha", 0)], panes: [pane("alpha", 0, 10)] },
        ],
      },
    });
    await until(() => model.session("alpha")?.unreadPanes === 1, "patched");
    assert.equal(model.windows("alpha").length, 1);
    assert.equal(server.requests.length, before, "no HTTP for a patch");
    server.send({ eventId: 5, type: "tmux.timeline.updated", timestamp: "", payload: { sessions: [] } });
    await until(() => model.session("beta")?.unreadPanes === 3, "delta applied");
    assert.equal(deltaSince, 4);
    assert.equal(manager.reconciler.stats.lastGlobalRev, 9);
    assert.equal(manager.reconciler.stats.gaps, 1);
  });

  test("without a delta route a gap reloads in full", async () => {
    serve();
    const { model, manager } = start();
    await until(() => model.inspector("beta"), "loaded");
    const lists = count("GET /api/tmux/sessions");
    server.send({ eventId: 1, type: "x", timestamp: "" });
    server.send({ eventId: 3, type: "x", timestamp: "" });
    await until(() => count("GET /api/tmux/sessions") >= lists + 5, "full reload");
    assert.ok(manager.history.some((h) => h.includes("no delta route")));
  });

  test("mutation events re-read what they touched; a delete removes at once", async () => {
    serve();
    const { model } = start();
    await until(() => model.inspector("beta"), "loaded");
    windows.alpha = [window("alpha", 0), window("alpha", 1), window("alpha", 2)];
    server.send({
      eventId: 1,
      type: "tmux.inspector.updated",
      timestamp: "",
      payload: { session: "alpha", action: "new-window", index: 2, paneId: "%12" },
    });
    await until(() => model.windows("alpha").length === 3, "alpha re-read");
    sessions = [session("alpha")];
    server.send({
      eventId: 2,
      type: "tmux.sessions.updated",
      timestamp: "",
      payload: { session: "beta", action: "delete" },
    });
    await until(() => !model.session("beta"), "beta removed");
    sessions = [session("alpha"), session("gamma")];
    windows.gamma = [window("gamma", 0)];
    server.send({
      eventId: 3,
      type: "tmux.sessions.updated",
      timestamp: "",
      payload: { session: "gamma", action: "create" },
    });
    await until(() => model.inspector("gamma"), "gamma listed and loaded");
  });

  test("a rename moves the session and tells listeners", async () => {
    serve();
    const { model, manager } = start();
    await until(() => model.inspector("beta"), "loaded");
    const renames: string[] = [];
    manager.onDidRenameSession((r) => renames.push(`${r.from}>${r.to}`));
    sessions = [session("alpha"), session("gamma")];
    windows.gamma = windows.beta!;
    server.send({
      eventId: 1,
      type: "tmux.sessions.updated",
      timestamp: "",
      payload: { session: "beta", newName: "gamma", action: "rename" },
    });
    await until(() => model.session("gamma"), "renamed");
    assert.deepEqual(renames, ["beta>gamma"]);
    assert.ok(model.inspector("gamma"), "the inspector moved with it");
  });

  test("a reconnect resumes with since and epoch; another epoch reconciles by delta", async () => {
    serve();
    let deltas = 0;
    server.routes.set("GET /api/tmux/activity/delta", () => {
      deltas++;
      return {
        status: 200,
        body: { data: { since: 0, limit: 300, globalRev: 1, overflow: false, changes: [] } },
      };
    });
    const { model, manager } = start();
    await until(() => model.inspector("beta"), "loaded");
    server.send({ eventId: 7, type: "x", timestamp: "" });
    await until(() => manager.reconciler.stats.lastEventId === 7, "event seen");
    server.eventSockets[0]!.ws.terminate();
    await until(
      () => server.eventSockets.length === 2 && manager.currentStatus.connection === "open",
      "reconnected",
    );
    assert.equal(server.eventSockets[1]!.url.search, "?since=7&epoch=epoch-1");
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(deltas, 0, "the same process replays");

    server.epoch = "epoch-2";
    server.eventSockets[1]!.ws.terminate();
    await until(() => deltas === 1, "delta after a restart");
    assert.equal(manager.reconciler.stats.lastEventId, 0);
  });

  test("polls only while the socket is down and the view is visible", async () => {
    serve();
    server.refuseUpgrades = 503;
    const { model, manager } = start({ visible: false, pollIntervalMs: 40 });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(count("GET /api/tmux/sessions"), 0, "hidden view: no poll");
    assert.equal(model.loaded, false);
    manager.setViewVisible(true);
    await until(() => count("GET /api/tmux/sessions") >= 6, "polling");
    assert.equal(model.loaded, true);
    manager.setViewVisible(false);
    // Requests sent before the view was hidden may still arrive (late on a loaded machine): wait until the count
    // holds still for several poll intervals, then for as long again. A poll still running would add ~5 per wait.
    let stopped = count("GET /api/tmux/sessions");
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 200));
      const now = count("GET /api/tmux/sessions");
      if (now === stopped) break;
      stopped = now;
    }
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(count("GET /api/tmux/sessions"), stopped, "hidden again: poll stopped");

    manager.setViewVisible(true);
    server.refuseUpgrades = undefined;
    await until(() => manager.currentStatus.connection === "open", "socket back");
    await new Promise((r) => setTimeout(r, 60));
    const connected = count("GET /api/tmux/sessions");
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(count("GET /api/tmux/sessions"), connected, "socket up: no poll");
  });

  test("TMUX_NOT_FOUND marks tmux missing", async () => {
    serve();
    server.routes.set("GET /api/tmux/sessions", () => ({
      status: 503,
      body: { error: { code: "TMUX_NOT_FOUND", message: "tmux binary not found" } },
    }));
    const { manager } = start();
    await until(() => manager.currentStatus.tmuxMissing, "tmux missing");
    assert.equal(manager.currentStatus.loaded, true);
  });
});
