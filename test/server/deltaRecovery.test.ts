// Gap detection and delta recovery end to end (issue 3): the extension's refresh owner (vscode-free) talks to the
// real server through a proxy that drops events on purpose. The state the client missed comes back through
// GET /api/tmux/activity/delta, and its model ends up equal to what the server reports.
import assert from "node:assert/strict";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import WebSocket, { WebSocketServer } from "ws";
import { RefreshManager } from "../../src/extension/client/refreshManager.js";
import { SessionsModel } from "../../src/extension/client/sessionsModel.js";
import { Backoff } from "../../src/extension/util/backoff.js";
import { silentLogger } from "../../src/extension/util/log.js";
import { type ServerHandle, startServer } from "./serverFixture.js";
import { CLEAN_SHELL, startTmux, type TmuxFixture, waitFor } from "./tmuxFixture.js";

interface DroppingProxy {
  url: string;
  /** While true, event frames (all but events.ready) from the server are dropped. */
  dropping: boolean;
  dropped: number;
  /** Paths of the HTTP requests forwarded, in order. */
  requests: string[];
  close(): Promise<void>;
}

/** HTTP and /ws/events forwarded to `upstream`; server-to-client event frames dropped while asked to. */
async function droppingProxy(upstream: string): Promise<DroppingProxy> {
  const target = new URL(upstream);
  const sockets = new Set<WebSocket>();
  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (p) => (p.has("sentinel.v1") ? "sentinel.v1" : false),
  });
  const proxy: DroppingProxy = { url: "", dropping: false, dropped: 0, requests: [], close: async () => {} };
  const http: Server = createServer((req, res) => {
    proxy.requests.push(`${req.method} ${req.url}`);
    const out = request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on("error", () => res.destroy());
    req.pipe(out);
  });
  http.on("upgrade", (req, socket, head) => {
    const protocols = String(req.headers["sec-websocket-protocol"] ?? "")
      .split(",")
      .map((p) => p.trim())
      .filter(Boolean);
    const up = new WebSocket(`${upstream.replace("http", "ws")}${req.url}`, protocols);
    up.on("error", () => socket.destroy());
    up.once("open", () => {
      wss.handleUpgrade(req, socket, head, (client) => {
        sockets.add(client).add(up);
        up.on("message", (data, isBinary) => {
          const text = data.toString();
          if (proxy.dropping && !isBinary && !text.includes('"events.ready"')) {
            proxy.dropped++;
            return;
          }
          client.send(data, { binary: isBinary });
        });
        client.on("message", (data, isBinary) => up.send(data, { binary: isBinary }));
        client.on("close", () => up.close());
        up.on("close", () => client.close());
      });
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  proxy.url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  proxy.close = async () => {
    for (const s of sockets) s.terminate();
    wss.close();
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  };
  return proxy;
}

let tmux: TmuxFixture;
let server: ServerHandle;
let proxy: DroppingProxy;
let manager: RefreshManager | undefined;

before(async () => {
  tmux = await startTmux();
  await tmux.tmux("new-session", "-d", "-s", "d", "-x", "120", "-y", "40", CLEAN_SHELL);
  await tmux.tmux("split-window", "-t", "=d:0", CLEAN_SHELL);
  server = await startServer({ tmuxSocket: tmux.socket });
  proxy = await droppingProxy(server.url);
});

after(async () => {
  manager?.dispose();
  await proxy?.close();
  await server?.stop();
  await tmux?.close();
});

const serverSession = async (name: string) => {
  const res = await server.api("/api/tmux/sessions");
  const body = (await res.json()) as {
    data: { sessions: Array<{ name: string; unreadPanes: number; rev: number }> };
  };
  return body.data.sessions.find((s) => s.name === name);
};

describe("gap detection and delta recovery", () => {
  test("events dropped on purpose: the next event shows the gap, delta restores what was missed", async () => {
    const model = new SessionsModel();
    manager = new RefreshManager({
      model,
      log: silentLogger,
      rereadDelayMs: 5,
      pollIntervalMs: 60_000,
      eventsBackoff: new Backoff({ initialMs: 20, maxMs: 50, jitter: 0 }),
    });
    manager.setViewVisible(false);
    manager.setEndpoint({ url: proxy.url, token: server.token });
    const m = manager;
    await waitFor(() => m.currentStatus.loaded && model.session("d"), 10_000, "first load");
    // Start from zero unread, once the shells' first prompts are in.
    await waitFor(
      async () => {
        const res = await server.api("/api/tmux/sessions/d/seen", {
          method: "POST",
          json: { scope: "session" },
        });
        await res.text();
        return (await serverSession("d"))?.unreadPanes === 0 && model.session("d")?.unreadPanes === 0;
      },
      10_000,
      "nothing unread",
    );

    proxy.dropping = true;
    const [, pane] = (await tmux.tmux("list-panes", "-t", "=d:0", "-F", "#{pane_id}")).trim().split("\n");
    await tmux.tmux("send-keys", "-t", pane!, "echo missed-while-dropping", "Enter");
    const truth = await waitFor(
      async () => {
        const s = await serverSession("d");
        return s && s.unreadPanes > 0 ? s : undefined;
      },
      10_000,
      "the server's unread count",
    );
    await waitFor(() => proxy.dropped > 0, 5000, "an event dropped");
    assert.equal(model.session("d")?.unreadPanes, 0, "the client missed the activity");
    const gapsBefore = m.reconciler.stats.gaps;
    const requestsBefore = proxy.requests.length;

    proxy.dropping = false;
    // Any later event reveals the gap in eventIds.
    const made = await server.api("/api/tmux/sessions", { method: "POST", json: { name: "later" } });
    assert.equal(made.status, 201);
    await waitFor(() => model.session("d")?.unreadPanes === truth?.unreadPanes, 10_000, "the delta applied");
    assert.ok(m.reconciler.stats.gaps > gapsBefore, "the reconciler saw a gap");
    const since = proxy.requests.slice(requestsBefore);
    assert.ok(
      since.some((r) => r.startsWith("GET /api/tmux/activity/delta?")),
      `recovered through delta: ${since.join(", ")}`,
    );
    const now = await serverSession("d");
    assert.equal(model.session("d")?.unreadPanes, now?.unreadPanes);
    // The create's own event may come after the one that showed the gap (reads and routes no longer force a collect).
    await waitFor(() => model.session("later"), 10_000, "the live event after the gap applied too");
  });
});
