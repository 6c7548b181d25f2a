// `/ws/tmux?session=S&window=N` and `&pane=%N` (ADR 0014): a terminal of its own for one window or pane, through a
// view session grouped with S that the server creates and removes, against the real server and a real tmux on a
// private socket. Another client of S keeps its current window (and the window its active pane); the view is in
// no listing, no event and no recovery snapshot; it goes away with its socket, and with S when S is killed.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";
import { type ServerHandle, startServer } from "./serverFixture.js";
import { startTmux, type TmuxFixture, waitFor } from "./tmuxFixture.js";

let tmux: TmuxFixture;
let server: ServerHandle;
/** Every event frame the server sent since the start of the file. */
const events: string[] = [];
let eventsSocket: WebSocket;

const VIEW_PREFIX = "~sentinel-view-";

before(async () => {
  tmux = await startTmux();
  await tmux.newSession("main");
  await tmux.tmux("new-window", "-t", "=main:1");
  await tmux.tmux("new-window", "-t", "=main:2");
  await tmux.tmux("split-window", "-t", "=main:1");
  await tmux.tmux("select-window", "-t", "=main:0");
  await tmux.newSession("other");
  server = await startServer({ tmuxSocket: tmux.socket });
  eventsSocket = new WebSocket(`${server.url.replace("http", "ws")}/ws/events`, ["sentinel.v1"], {
    headers: { authorization: `Bearer ${server.token}` },
  });
  eventsSocket.on("message", (data) => events.push(data.toString()));
  eventsSocket.on("error", () => undefined);
  await new Promise((resolve) => eventsSocket.once("open", resolve));
});

after(async () => {
  eventsSocket?.close();
  await server?.stop();
  await tmux?.close();
});

interface Client {
  ws: WebSocket;
  texts: string[];
  closed: Promise<{ code: number; reason: string }>;
}

async function attach(query: string, token = server.token): Promise<Client> {
  const ws = new WebSocket(`${server.url.replace("http", "ws")}/ws/tmux?${query}`, ["sentinel.v1"], {
    headers: { authorization: `Bearer ${token}` },
  });
  const texts: string[] = [];
  ws.on("message", (data, isBinary) => {
    if (!isBinary) texts.push(data.toString());
  });
  ws.on("error", () => undefined);
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  await waitFor(() => texts.length > 0, 5000, "status frame");
  return { ws, texts, closed };
}

function refusal(query: string, token = server.token): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${server.url.replace("http", "ws")}/ws/tmux?${query}`, ["sentinel.v1"], {
      headers: { authorization: `Bearer ${token}` },
    });
    ws.on("open", () => {
      ws.close();
      reject(new Error("upgrade was accepted"));
    });
    ws.on("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (d: Buffer) => {
        body += d.toString();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: body.trim() }));
    });
    ws.on("error", () => undefined);
  });
}

interface TmuxClient {
  name: string;
  session: string;
  window: number;
  pane: string;
}

/** Terminal clients (not control-mode ones), with what each shows. */
async function clients(): Promise<TmuxClient[]> {
  const out = await tmux.tmux(
    "list-clients",
    "-F",
    "#{client_control_mode}\t#{client_name}\t#{client_session}\t#{window_index}\t#{pane_id}",
  );
  return out
    .split("\n")
    .filter((line) => line.startsWith("0\t"))
    .map((line) => {
      const [, name, session, window, pane] = line.split("\t");
      return { name: name!, session: session!, window: Number(window), pane: pane! };
    });
}

const sessions = async () =>
  (await tmux.tmux("list-sessions", "-F", "#{session_name}")).split("\n").filter(Boolean);
const views = async () => (await sessions()).filter((name) => name.startsWith(VIEW_PREFIX));
const capture = (target: string) => tmux.tmux("capture-pane", "-p", "-t", target);
/** The pane ids of window 1 of main, and which is its active pane. */
async function window1(): Promise<{ panes: string[]; active: string }> {
  const out = await tmux.tmux("list-panes", "-t", "=main:1", "-F", "#{pane_id} #{pane_active}");
  const rows = out.split("\n").filter(Boolean);
  return {
    panes: rows.map((r) => r.split(" ")[0]!),
    active: rows.find((r) => r.endsWith(" 1"))!.split(" ")[0]!,
  };
}

async function apiSessionNames(): Promise<string[]> {
  const res = await server.api("/api/tmux/sessions");
  assert.equal(res.status, 200);
  const body = (await res.json()) as { data: { sessions: Array<{ name: string }> } };
  return body.data.sessions.map((s) => s.name).sort();
}

describe("terminal views on /ws/tmux", () => {
  test("window=2 shows window 2 in a view of its own; the other client stays on its window; the view goes with the socket", async () => {
    const main = await attach("session=main");
    const [mainClient] = (await waitFor(async () => {
      const list = await clients();
      return list.length === 1 ? list : undefined;
    }))!;
    assert.equal(mainClient!.session, "main");
    assert.equal(mainClient!.window, 0);

    const view = await attach("session=main&window=2");
    assert.deepEqual(JSON.parse(view.texts[0]!), { type: "status", state: "attached", session: "main" });
    const viewClient = (await waitFor(async () =>
      (await clients()).find((c) => c.name !== mainClient!.name),
    ))!;
    assert.ok(viewClient.session.startsWith(VIEW_PREFIX), viewClient.session);
    assert.equal(viewClient.window, 2);
    const groups = await tmux.tmux("list-sessions", "-F", "#{session_name} #{session_group}");
    assert.match(groups, new RegExp(`^${VIEW_PREFIX}[0-9a-f]+ main$`, "m"));

    // Typing goes to window 2; main's client is still on window 0, and main's current window is 0.
    view.ws.send(Buffer.from("echo view-$((6*7))\r"));
    await waitFor(async () => (await capture("=main:2")).includes("view-42"), 5000, "echo in window 2");
    assert.equal((await capture("=main:0")).includes("view-42"), false);
    const after = (await clients()).find((c) => c.name === mainClient!.name);
    assert.equal(after?.window, 0);
    assert.equal((await tmux.tmux("display-message", "-p", "-t", "=main:", "#{window_index}")).trim(), "0");

    // Not a session as far as anyone is told.
    assert.deepEqual(await apiSessionNames(), ["main", "other"]);

    view.ws.close(1000);
    await view.closed;
    await waitFor(async () => (await views()).length === 0, 5000, "the view session removed");
    assert.deepEqual(
      (await clients()).map((c) => c.name),
      [mainClient!.name],
    );
    // main keeps its three windows.
    assert.equal((await tmux.tmux("list-windows", "-t", "=main", "-F", "#{window_index}")).trim(), "0\n1\n2");
    main.ws.close(1000);
    await main.closed;
  });

  test("pane=%N types into that pane; the window's active pane and the other client do not move", async () => {
    const main = await attach("session=main");
    const mainName = (await waitFor(async () => (await clients())[0]))!.name;
    const { panes, active } = await window1();
    const other = panes.find((p) => p !== active)!;
    const view = await attach(`session=main&pane=${encodeURIComponent(other)}`);
    const viewClient = (await waitFor(async () => (await clients()).find((c) => c.name !== mainName)))!;
    assert.equal(viewClient.window, 1);
    view.ws.send(Buffer.from("echo pane-$((6*7))\r"));
    await waitFor(async () => (await capture(other)).includes("pane-42"), 5000, "echo in the chosen pane");
    assert.equal((await capture(active)).includes("pane-42"), false);
    assert.equal((await window1()).active, active);
    assert.equal((await clients()).find((c) => c.name === mainName)?.window, 0);
    view.ws.close(1000);
    main.ws.close(1000);
    await Promise.all([view.closed, main.closed]);
    await waitFor(async () => (await views()).length === 0, 5000, "the view session removed");
  });

  test("bad or unknown targets are refused before the upgrade, and a scoped token stays in its session", async () => {
    assert.deepEqual(await refusal("session=main&window=x"), { status: 400, body: "invalid window" });
    assert.deepEqual(await refusal("session=main&pane=7"), { status: 400, body: "invalid pane" });
    assert.deepEqual(await refusal("session=main&window=0&pane=%250"), {
      status: 400,
      body: "window or pane, not both",
    });
    assert.deepEqual(await refusal("session=main&window=9"), { status: 404, body: "window not found" });
    const otherPane = (await tmux.tmux("display-message", "-p", "-t", "=other:", "#{pane_id}")).trim();
    assert.deepEqual(await refusal(`session=main&pane=${encodeURIComponent(otherPane)}`), {
      status: 404,
      body: "pane not found",
    });
    // A view's name is not a session name.
    const view = await attach("session=main&window=1");
    const name = (await waitFor(views))[0]!;
    assert.deepEqual(await refusal(`session=${encodeURIComponent(name)}`), {
      status: 400,
      body: "invalid session",
    });
    view.ws.close(1000);
    await view.closed;

    const res = await server.api("/api/auth/token", { method: "POST", json: { sessionId: "main" } });
    const { accessToken } = ((await res.json()) as { data: { accessToken: string } }).data;
    assert.deepEqual(await refusal("session=other&window=0", accessToken), {
      status: 403,
      body: "forbidden",
    });
    assert.deepEqual(await refusal(`session=main&pane=${encodeURIComponent(otherPane)}`, accessToken), {
      status: 404,
      body: "pane not found",
    });
    // A confined view types into its own pane (as a paste; its tmux client is read-only).
    const { panes, active } = await window1();
    const target = panes.find((p) => p !== active)!;
    const scoped = await attach(`session=main&pane=${encodeURIComponent(target)}`, accessToken);
    const scopedClient = (await waitFor(async () => (await clients())[0]))!;
    assert.ok(scopedClient.session.startsWith(VIEW_PREFIX));
    scoped.ws.send(Buffer.from("echo scoped-$((6*7))\r"));
    await waitFor(async () => (await capture(target)).includes("scoped-42"), 5000, "echo in the pane");
    assert.equal((await capture(active)).includes("scoped-42"), false);
    scoped.ws.close(1000);
    await scoped.closed;
    await waitFor(async () => (await views()).length === 0, 5000, "the view session removed");
  });

  test("no event, activity row or recovery snapshot names a view", async () => {
    const view = await attach("session=main&window=2");
    view.ws.send(Buffer.from("echo noisy\r"));
    await waitFor(async () => (await capture("=main:2")).includes("noisy"), 5000, "echo");
    const delta = await server.api("/api/tmux/activity/delta?since=0");
    assert.equal(delta.status, 200);
    const text = await delta.text();
    assert.ok(text.includes('"main"'), "the delta lists main");
    assert.equal(text.includes(VIEW_PREFIX), false, text);
    const tracked = await server.api("/api/recovery/sessions");
    assert.equal(tracked.status, 200);
    assert.equal((await tracked.text()).includes(VIEW_PREFIX), false);
    view.ws.close(1000);
    await view.closed;
    await waitFor(async () => (await views()).length === 0, 5000, "the view session removed");
    assert.ok(events.length > 1, "the events socket received events");
    assert.deepEqual(
      events.filter((e) => e.includes(VIEW_PREFIX)),
      [],
    );
  });

  test("killing the session ends its views: the socket closes 1000 and the windows are not kept alive", async () => {
    await tmux.newSession("doomed");
    await tmux.tmux("new-window", "-t", "=doomed:1");
    const view = await attach("session=doomed&window=1");
    await waitFor(async () => (await views()).length === 1, 5000, "the view session");
    const res = await server.api("/api/tmux/sessions/doomed?confirm=1", { method: "DELETE" });
    assert.equal(res.status, 204);
    assert.equal((await view.closed).code, 1000);
    await waitFor(async () => (await views()).length === 0, 5000, "the view session removed");
    assert.equal((await sessions()).includes("doomed"), false);

    // Killed from the tmux command line: the watchtower sees it, the view ends the same way.
    await tmux.newSession("doomed2");
    const view2 = await attach("session=doomed2&window=0");
    await waitFor(async () => (await views()).length === 1, 5000, "the view session");
    await tmux.tmux("kill-session", "-t", "=doomed2");
    // Created, attached and killed within one collect of the watchtower (it publishes no change then): the view
    // still ends, from the collect's listing (hung before: no close at all).
    const closed2 = await Promise.race([
      view2.closed,
      new Promise<undefined>((resolve) => setTimeout(resolve, 15_000, undefined)),
    ]);
    assert.equal(closed2?.code, 1000, "the view of the CLI-killed session closes with 1000 within 15 s");
    await waitFor(async () => (await views()).length === 0, 10_000, "the view session removed");
  });
});
