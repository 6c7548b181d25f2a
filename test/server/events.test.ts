// /ws/events (spec §3, ADR 0003) against the real server and a real tmux on a private socket: the handshake,
// the events the HTTP mutations publish, `since` replay and the reconcile notice, fan-out to 200 subscribers
// with one stalled, and client messages. Bulk events come from the bench-only source (SENTINEL_BENCH_EVENTS=1).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, type TestContext, test } from "node:test";
import WebSocket from "ws";
import type { EventEnvelope, ReconcilePayload } from "../../src/protocol/events.js";
import { clientProtocols } from "../../src/protocol/transport.js";
import type { HubStats } from "../../src/server/events/hub.js";
import { type ServerHandle, startServer } from "./serverFixture.js";
import { startTmux, type TmuxFixture, waitFor } from "./tmuxFixture.js";

let tmux: TmuxFixture;
let server: ServerHandle;

before(async () => {
  tmux = await startTmux();
  await tmux.newSession("ev");
  server = await startServer({ tmuxSocket: tmux.socket, env: { SENTINEL_BENCH_EVENTS: "1" } });
});

after(async () => {
  await server?.stop();
  await tmux?.close();
});

type Envelope = EventEnvelope<Record<string, unknown>>;

interface Sub {
  ws: WebSocket;
  /** Every text frame, parsed, in arrival order. */
  messages: Envelope[];
  /** Hub events only (eventId > 0). */
  events(): Envelope[];
  headers: Record<string, string | string[] | undefined>;
  closed: Promise<number>;
  close(): Promise<void>;
}

const wsUrl = (h: ServerHandle, query = "") => `${h.url.replace("http", "ws")}/ws/events${query}`;

function connect(
  query = "",
  opts: { protocols?: string[]; headers?: Record<string, string>; handle?: ServerHandle } = {},
): Promise<Sub> {
  const h = opts.handle ?? server;
  const ws = new WebSocket(wsUrl(h, query), opts.protocols ?? ["sentinel.v1"], {
    headers: opts.headers ?? { authorization: `Bearer ${h.token}` },
  });
  const messages: Envelope[] = [];
  let headers: Sub["headers"] = {};
  ws.on("upgrade", (res) => {
    headers = res.headers;
  });
  ws.on("message", (data, isBinary) => {
    assert.equal(isBinary, false, "the server sends text frames only");
    messages.push(JSON.parse(data.toString()));
  });
  ws.on("error", () => undefined);
  const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once("open", async () => {
      await waitFor(() => messages.length > 0, 5000, "ready frame");
      resolve({
        ws,
        messages,
        events: () => messages.filter((m) => m.eventId > 0),
        get headers() {
          return headers;
        },
        closed,
        close: async () => {
          if (ws.readyState !== WebSocket.CLOSED) ws.close();
          await closed;
        },
      });
    });
  });
}

function refusal(
  query: string,
  opts: { protocols?: string[]; headers?: Record<string, string> },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl(server, query), opts.protocols ?? ["sentinel.v1"], {
      headers: opts.headers ?? {},
    });
    ws.on("open", () => {
      ws.close();
      reject(new Error("unexpectedly upgraded"));
    });
    ws.on("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (d: Buffer) => {
        body += d.toString();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on("error", () => undefined);
  });
}

const bench = async (count: number, padBytes = 0, h = server) => {
  const res = await h.api("/api/bench/events", { method: "POST", json: { count, padBytes } });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { data: { firstEventId: number; lastEventId: number } }).data;
};
const hubStats = async () =>
  ((await (await server.api("/api/bench/events")).json()) as { data: HubStats }).data;

/** Waits until `sub` has received the event with id `eventId` (or a later one). */
const until = (sub: Sub, eventId: number, timeoutMs = 5000) =>
  waitFor(() => sub.events().some((e) => e.eventId >= eventId), timeoutMs, `event ${eventId}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("handshake", () => {
  test("events.ready comes first, with eventId 0, and sentinel.v1 is echoed", async () => {
    const sub = await connect();
    try {
      assert.equal(sub.ws.protocol, "sentinel.v1");
      // Ready first; anything after it (the watchtower's first collects, say) is a hub event.
      assert.ok(sub.messages.slice(1).every((m) => m.eventId > 0));
      const ready = sub.messages[0]!;
      assert.deepEqual(Object.keys(ready), ["eventId", "type", "timestamp", "payload"]);
      assert.equal(ready.eventId, 0);
      assert.equal(ready.type, "events.ready");
      assert.match(ready.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.deepEqual(ready.payload, { message: "subscribed" });
      assert.match(String(sub.headers["x-sentinel-events-epoch"]), /^[0-9a-f]{16}$/);
    } finally {
      await sub.close();
    }
  });

  test("the token in the sentinel.auth.* subprotocol works; only sentinel.v1 is echoed", async () => {
    const sub = await connect("", { protocols: clientProtocols(server.token), headers: {} });
    try {
      assert.equal(sub.ws.protocol, "sentinel.v1");
      assert.equal(sub.messages[0]?.type, "events.ready");
    } finally {
      await sub.close();
    }
  });

  test("a client that offers no subprotocol gets none", async () => {
    const sub = await connect("", { protocols: [] });
    try {
      assert.equal(sub.ws.protocol, "");
    } finally {
      await sub.close();
    }
  });

  test("refusals are plain text before any upgrade: 401, 403, 400", async () => {
    assert.deepEqual(await refusal("", {}), { status: 401, body: "unauthorized\n" });
    assert.deepEqual(await refusal("", { headers: { authorization: "Bearer wrong" } }), {
      status: 401,
      body: "unauthorized\n",
    });
    // A wrong Bearer header is not retried through the subprotocol (§5.2).
    assert.equal(
      (
        await refusal("", {
          protocols: clientProtocols(server.token),
          headers: { authorization: "Bearer wrong" },
        })
      ).status,
      401,
    );
    assert.deepEqual(
      await refusal("", {
        headers: { authorization: `Bearer ${server.token}`, origin: "http://evil.example" },
      }),
      { status: 403, body: "forbidden\n" },
    );
    for (const since of ["abc", "-1", "1.5", "", "99999999999999999"]) {
      assert.deepEqual(
        await refusal(`?since=${since}`, { headers: { authorization: `Bearer ${server.token}` } }),
        { status: 400, body: "invalid since\n" },
        since,
      );
    }
  });

  test("an access token limited to one session may not read the stream of all sessions", async () => {
    const res = await server.api("/api/auth/token", { method: "POST", json: { sessionId: "ev" } });
    assert.equal(res.status, 200);
    const { accessToken } = ((await res.json()) as { data: { accessToken: string } }).data;
    assert.equal((await refusal("", { headers: { authorization: `Bearer ${accessToken}` } })).status, 403);
    const full = await server.api("/api/auth/token", { method: "POST", json: {} });
    const open = ((await full.json()) as { data: { accessToken: string } }).data.accessToken;
    const sub = await connect("", { headers: { authorization: `Bearer ${open}` } });
    await sub.close();
  });
});

describe("HTTP mutations publish their events (§3.3)", () => {
  /** Events of the mutations (not the watchtower's activity and seen events, which may interleave). */
  const mutations = (sub: Sub) =>
    sub
      .events()
      .filter(
        (e) =>
          (e.type === "tmux.sessions.updated" || e.type === "tmux.inspector.updated") &&
          !["activity", "seen", "live-set"].includes(String(e.payload?.action)),
      );

  test("each route, in order, only after success, with monotonic eventIds", async () => {
    const sub = await connect();
    const steps: Array<{
      what: string;
      call: () => Promise<Response>;
      status: number;
      expect: () =>
        | Promise<Array<[string, Record<string, unknown>]>>
        | Array<[string, Record<string, unknown>]>;
    }> = [];
    const S = "tmux.sessions.updated";
    const I = "tmux.inspector.updated";
    const post = (path: string, json?: unknown) =>
      server.api(path, { method: "POST", ...(json === undefined ? {} : { json }) });
    const base = "/api/tmux/sessions/evren";
    let newPane = "";
    let splitPane = "";
    const panesOf = async (target: string) =>
      (await tmux.tmux("list-panes", "-t", target, "-F", "#{pane_id}")).trim().split("\n");
    try {
      steps.push(
        {
          what: "create",
          call: () => post("/api/tmux/sessions", { name: "evnew" }),
          status: 201,
          expect: () => [[S, { session: "evnew", action: "create" }]],
        },
        {
          what: "create (duplicate fails)",
          call: () => post("/api/tmux/sessions", { name: "evnew" }),
          status: 409,
          expect: () => [],
        },
        {
          what: "rename",
          call: () => server.api("/api/tmux/sessions/evnew", { method: "PATCH", json: { newName: "evren" } }),
          status: 200,
          expect: () => [[S, { session: "evnew", newName: "evren", action: "rename" }]],
        },
        {
          what: "icon",
          call: () => server.api(`${base}/icon`, { method: "PATCH", json: { icon: "bot" } }),
          status: 204,
          expect: () => [[S, { session: "evren", action: "icon" }]],
        },
        {
          what: "icon (invalid fails)",
          call: () => server.api(`${base}/icon`, { method: "PATCH", json: { icon: "Not Valid" } }),
          status: 400,
          expect: () => [],
        },
        {
          what: "new-window",
          call: () => post(`${base}/new-window`),
          status: 204,
          expect: async () => {
            newPane = (await panesOf("=evren:1"))[0]!;
            return [
              [I, { session: "evren", action: "new-window", index: 1, paneId: newPane }],
              [S, { session: "evren", action: "window-count" }],
            ];
          },
        },
        {
          what: "select-window",
          call: () => post(`${base}/select-window`, { index: 1 }),
          status: 204,
          expect: () => [[I, { session: "evren", action: "select-window", index: 1 }]],
        },
        {
          what: "select-window (missing window fails)",
          call: () => post(`${base}/select-window`, { index: 42 }),
          status: 404,
          expect: () => [],
        },
        {
          what: "rename-window",
          call: () => post(`${base}/rename-window`, { index: 1, name: "two" }),
          status: 204,
          expect: () => [
            [I, { session: "evren", action: "rename-window", index: 1 }],
            [S, { session: "evren", action: "window-meta" }],
          ],
        },
        {
          what: "select-pane",
          call: () => post(`${base}/select-pane`, { paneId: newPane }),
          status: 204,
          expect: () => [[I, { session: "evren", action: "select-pane", paneId: newPane }]],
        },
        {
          what: "rename-pane",
          call: () => post(`${base}/rename-pane`, { paneId: newPane, title: "a title" }),
          status: 204,
          expect: () => [[I, { session: "evren", action: "rename-pane", paneId: newPane }]],
        },
        {
          what: "split-pane",
          call: () => post(`${base}/split-pane`, { paneId: newPane, direction: "Vertical" }),
          status: 204,
          expect: async () => {
            splitPane = (await panesOf("=evren:1")).find((p) => p !== newPane)!;
            return [
              [
                I,
                {
                  session: "evren",
                  action: "split-pane",
                  paneId: newPane,
                  createdId: splitPane,
                  direction: "vertical",
                },
              ],
              [S, { session: "evren", action: "pane-count" }],
            ];
          },
        },
        {
          what: "kill-pane (a pane of another session fails)",
          call: async () => {
            const other = (await panesOf("=ev:"))[0]!;
            return post(`${base}/kill-pane`, { paneId: other });
          },
          status: 404,
          expect: () => [],
        },
        {
          what: "kill-pane",
          call: () => post(`${base}/kill-pane`, { paneId: splitPane }),
          status: 204,
          expect: () => [
            [I, { session: "evren", action: "kill-pane", paneId: splitPane }],
            [S, { session: "evren", action: "pane-count" }],
          ],
        },
        {
          what: "kill-window",
          call: () => post(`${base}/kill-window`, { index: 1 }),
          status: 204,
          expect: () => [
            [I, { session: "evren", action: "kill-window", index: 1 }],
            [S, { session: "evren", action: "window-count" }],
          ],
        },
        {
          what: "delete",
          call: () =>
            server.api("/api/tmux/sessions/evren?confirm=1", {
              method: "DELETE",
              headers: { "x-sentinel-guardrail-confirm": "true" },
            }),
          status: 204,
          expect: () => [[S, { session: "evren", action: "delete" }]],
        },
        {
          what: "delete (gone fails)",
          call: () =>
            server.api("/api/tmux/sessions/evren?confirm=1", {
              method: "DELETE",
              headers: { "x-sentinel-guardrail-confirm": "true" },
            }),
          status: 404,
          expect: () => [],
        },
      );
      let seen = 0;
      for (const step of steps) {
        const res = await step.call();
        assert.equal(res.status, step.status, `${step.what}: ${await res.text()}`);
        const expected = await step.expect();
        if (expected.length) {
          await waitFor(() => mutations(sub).length >= seen + expected.length, 5000, step.what);
        } else {
          await sleep(50);
        }
        const got = mutations(sub)
          .slice(seen)
          .map((e) => [e.type, e.payload]);
        assert.deepEqual(got, expected, step.what);
        seen += expected.length;
      }
      // Every event this subscriber got (mutations and anything else) has the next eventId: no gaps, no repeats.
      const all = sub.events().map((e) => e.eventId);
      assert.deepEqual(
        all,
        all.map((_, i) => all[0]! + i),
      );
    } finally {
      await sub.close();
    }
  });
});

describe("since: replay, or a reconcile notice", () => {
  test("a reconnect with since gets exactly the events it missed, then live ones", async () => {
    const witness = await connect();
    const first = await connect();
    try {
      const a = await bench(3);
      await until(first, a.lastEventId);
      const since = first.events().at(-1)!.eventId;
      await first.close();
      const missed = await bench(5, 10);
      await until(witness, missed.lastEventId);
      const again = await connect(`?since=${since}&epoch=${first.headers["x-sentinel-events-epoch"]}`);
      try {
        await until(again, missed.lastEventId);
        const live = await bench(1);
        await until(again, live.lastEventId);
        await until(witness, live.lastEventId);
        assert.equal(again.messages[0]?.type, "events.ready");
        const expected = witness.events().filter((e) => e.eventId > since);
        assert.deepEqual(again.events(), expected);
        assert.equal(
          again.messages.some((m) => m.type === "events.reconcile"),
          false,
        );
      } finally {
        await again.close();
      }
      // Up to date: nothing replayed, nothing to reconcile.
      const current = await connect(`?since=${witness.events().at(-1)!.eventId}`);
      await sleep(100);
      assert.deepEqual(
        current.messages.map((m) => m.type),
        ["events.ready"],
      );
      await current.close();
    } finally {
      await witness.close();
    }
  });

  test("since older than the ring: events.reconcile (evicted), then live events", async () => {
    await bench(1100);
    const stats = await hubStats();
    assert.equal(stats.ringEvents, 1024);
    const oldest = stats.oldestEventId;
    assert.equal(oldest, stats.lastEventId - 1023);
    const edge = await connect(`?since=${oldest - 1}`);
    const late = await connect(`?since=${oldest - 2}`);
    try {
      await until(edge, stats.lastEventId);
      assert.equal(edge.events().length, 1024);
      assert.equal(edge.events()[0]?.eventId, oldest);
      await sleep(50);
      assert.equal(late.messages.length, 2);
      const notice = late.messages[1]! as unknown as EventEnvelope<ReconcilePayload>;
      assert.deepEqual(Object.keys(notice), ["eventId", "type", "timestamp", "payload"]);
      assert.equal(notice.eventId, 0);
      assert.equal(notice.type, "events.reconcile");
      assert.deepEqual(notice.payload, {
        reason: "evicted",
        since: oldest - 2,
        lastEventId: stats.lastEventId,
      });
      const live = await bench(1);
      await until(late, live.lastEventId);
      assert.deepEqual(
        late.events().map((e) => e.eventId),
        [stats.lastEventId + 1],
      );
    } finally {
      await edge.close();
      await late.close();
    }
  });

  test("since ahead of the server, or another epoch (a restart): events.reconcile (restarted)", async () => {
    const last = (await bench(1)).lastEventId;
    const ahead = await connect(`?since=${last + 10}`);
    try {
      assert.deepEqual(ahead.messages[1]?.payload, {
        reason: "restarted",
        since: last + 10,
        lastEventId: last,
      });
    } finally {
      await ahead.close();
    }
    // A real restart: a second server, whose ids start again at 1 and overtake the client's cursor.
    const epoch = String(ahead.headers["x-sentinel-events-epoch"]);
    const fresh = await startServer({ tmuxSocket: tmux.socket, env: { SENTINEL_BENCH_EVENTS: "1" } });
    try {
      await bench(20, 0, fresh);
      const back = await connect(`?since=5&epoch=${epoch}`, { handle: fresh });
      try {
        assert.notEqual(String(back.headers["x-sentinel-events-epoch"]), epoch);
        // The fresh server's watchtower may publish its own events (live set, activity) besides the 20 ticks.
        const notice = back.messages[1]?.payload as unknown as ReconcilePayload;
        assert.deepEqual({ ...notice, lastEventId: 0 }, { reason: "restarted", since: 5, lastEventId: 0 });
        assert.ok(notice.lastEventId >= 20, `lastEventId ${notice.lastEventId} counts the 20 ticks`);
        await sleep(50);
        // Nothing is replayed (the fresh server's own watchtower activity may arrive live meanwhile).
        assert.equal(back.events().filter((e) => e.type === "bench.tick").length, 0);
      } finally {
        await back.close();
      }
    } finally {
      await fresh.stop();
    }
  });
});

describe("fan-out", () => {
  test("200 subscribers, one stalled: the others get every event; the stalled one costs bounded memory and is told to reconcile", async () => {
    const subs: Sub[] = [];
    try {
      for (let i = 0; i < 200; i += 20) {
        subs.push(...(await Promise.all(Array.from({ length: 20 }, () => connect()))));
      }
      const stalled = subs[0]!;
      const fast = subs.slice(1);
      stalled.ws.pause();

      // While events flow at a steady pace, every fast subscriber gets every one, in order.
      const before = (await bench(1)).lastEventId;
      for (const s of subs.slice(1)) await until(s, before);
      let last = before;
      for (let round = 0; round < 20; round++) {
        last = (await bench(25, 512)).lastEventId;
        await sleep(10);
      }
      await Promise.all(fast.map((s) => until(s, last, 15_000)));
      for (const s of fast) {
        const ids = s
          .events()
          .map((e) => e.eventId)
          .filter((id) => id > before);
        assert.equal(ids.length, last - before);
        assert.equal(ids[0], before + 1);
        assert.equal(ids.at(-1), last);
      }

      // Keep a few fast ones and push far more than the kernel buffers hold to the stalled one.
      for (const s of fast.slice(4)) await s.close();
      const few = fast.slice(0, 4);
      const rssBefore = rss(server.pid);
      let peak = rssBefore;
      const pumped = 192 * 1024 * 1024;
      const batch = 100;
      const pad = 8 * 1024;
      let stats = await hubStats();
      let sawOverflow = false;
      for (let sent = 0; sent < pumped; sent += batch * pad) {
        last = (await bench(batch, pad)).lastEventId;
        await Promise.all(few.map((s) => until(s, last, 15_000)));
        for (const s of few) s.messages.length = 0; // the fast ones keep no history: only the test's memory
        stats = await hubStats();
        sawOverflow ||= stats.overflowing === 1;
        assert.ok(stats.maxQueued <= 256, `queue of ${stats.maxQueued} frames`);
        assert.ok(stats.maxBuffered <= 256 * 1024 + pad + 512, `${stats.maxBuffered} bytes in a socket`);
        peak = Math.max(peak, rss(server.pid));
      }
      assert.ok(sawOverflow, "the stalled subscriber overflowed");
      assert.ok(stats.dropped > 0);
      const growth = peak - rssBefore;
      // Holding the backlog would cost at least what was pumped; garbage awaiting a major GC stays near 64 MiB.
      assert.ok(growth < 128 * 1024 * 1024, `server RSS grew by ${(growth / 2 ** 20).toFixed(1)} MiB`);

      // The stalled one reads again: a contiguous prefix, one notice of what it missed, then live events.
      stalled.ws.resume();
      await waitFor(() => stalled.messages.some((m) => m.type === "events.reconcile"), 15_000, "notice");
      const after = (await bench(1)).lastEventId;
      await until(stalled, after);
      const i = stalled.messages.findIndex((m) => m.type === "events.reconcile");
      const prefix = stalled.messages.slice(1, i).map((m) => m.eventId);
      const notice = stalled.messages[i]!.payload as unknown as ReconcilePayload;
      assert.equal(prefix[0], stalled.events()[0]!.eventId);
      assert.deepEqual(
        prefix,
        prefix.map((_, k) => prefix[0]! + k),
      );
      assert.equal(notice.reason, "overflow");
      assert.equal(notice.since, prefix.at(-1));
      assert.equal(notice.lastEventId, last);
      assert.equal(notice.dropped, last - notice.since);
      assert.deepEqual(
        stalled.messages.slice(i + 1).map((m) => m.eventId),
        [after],
      );
      assert.equal((await hubStats()).overflowing, 0);
    } finally {
      await Promise.all(subs.map((s) => s.close()));
    }
  });
});

function rss(pid: number): number {
  const kb = /^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return Number(kb) * 1024;
}

describe("client messages", () => {
  /** Sends frames, then publishes one event: the next thing the client sees must be that event. */
  const nothingBack = async (sub: Sub, frames: Array<string | Buffer>) => {
    const before = sub.messages.length;
    for (const frame of frames) sub.ws.send(frame);
    await sleep(100);
    const { lastEventId } = await bench(1);
    await until(sub, lastEventId);
    assert.deepEqual(
      sub.messages.slice(before).map((m) => [m.type, m.eventId]),
      [["bench.tick", lastEventId]],
    );
    assert.equal(sub.ws.readyState, WebSocket.OPEN);
  };

  test("binary frames, invalid JSON and unknown types are ignored silently", async () => {
    const sub = await connect();
    try {
      await nothingBack(sub, [
        Buffer.from([0, 1, 2, 255]),
        "not json",
        "{",
        "[]",
        "null",
        JSON.stringify({ type: "resize", cols: 80, rows: 24 }),
        JSON.stringify({ type: "subscribe" }),
        JSON.stringify({ type: 7 }),
        JSON.stringify({ nope: true }),
      ]);
    } finally {
      await sub.close();
    }
  });

  test("invalid presence is dropped without a reply; valid presence gets none either", async () => {
    const sub = await connect();
    try {
      await nothingBack(sub, [
        JSON.stringify({ type: "presence" }),
        JSON.stringify({ type: "presence", terminalId: "" }),
        JSON.stringify({ type: "presence", terminalId: "t", session: "bad name" }),
        JSON.stringify({ type: "presence", terminalId: "t", windowIndex: -2 }),
        JSON.stringify({ type: "presence", terminalId: "t", paneId: "4" }),
        JSON.stringify({ type: "presence", terminalId: "t", visible: "yes" }),
        JSON.stringify({ type: "PRESENCE", terminalId: "t", session: "ev", windowIndex: 0, paneId: "%0" }),
      ]);
    } finally {
      await sub.close();
    }
  });

  test("seen with a field of the wrong JSON type gets no reply", async () => {
    const sub = await connect();
    try {
      await nothingBack(sub, [
        JSON.stringify({ type: "seen", requestId: 1, session: "ev", scope: "session" }),
        JSON.stringify({ type: "seen", requestId: "r", session: "ev", scope: "window", windowIndex: "1" }),
        JSON.stringify({ type: "seen", requestId: "r", session: ["ev"], scope: "session" }),
      ]);
    } finally {
      await sub.close();
    }
  });

  describe("seen acks (§3.5)", () => {
    /** Seen is answered by the activity tracker (the watchtower); its HTTP fallback must be routed. */
    let wired: boolean | undefined;
    const watchtowerWired = async (_t: TestContext) => {
      if (wired === undefined) {
        const res = await server.api("/api/tmux/sessions/ev/seen", {
          method: "POST",
          json: { scope: "session" },
        });
        const body = (await res.json()) as { error?: { code?: string } };
        wired = !(res.status === 404 && body.error?.code === "NOT_FOUND");
      }
      assert.ok(wired, "POST /api/tmux/sessions/{s}/seen is routed");
      return wired;
    };

    const ask = async (sub: Sub, message: Record<string, unknown>) => {
      const before = sub.messages.length;
      sub.ws.send(JSON.stringify(message));
      await waitFor(
        () => sub.messages.slice(before).some((m) => (m as { type: string }).type === "tmux.seen.ack"),
        5000,
        "seen ack",
      );
      return sub.messages
        .slice(before)
        .find((m) => (m as { type: string }).type === "tmux.seen.ack") as unknown;
    };
    const invalid = (extra: Record<string, unknown>) => ({
      type: "tmux.seen.ack",
      acked: false,
      globalRev: 0,
      ...extra,
    });

    test("scope, session, paneId and windowIndex errors, with requestId, paneId and windowIndex echoed", async (t) => {
      if (!(await watchtowerWired(t))) return;
      const sub = await connect();
      try {
        assert.deepEqual(
          await ask(sub, {
            type: " Seen ",
            requestId: "r1",
            session: "ev",
            scope: "everything",
            paneId: "%0",
          }),
          invalid({
            requestId: "r1",
            session: "ev",
            scope: "everything",
            paneId: "%0",
            windowIndex: 0,
            error: "scope must be pane, window, or session",
          }),
        );
        assert.deepEqual(
          await ask(sub, { type: "seen", requestId: "r2", session: "bad name", scope: "session" }),
          invalid({
            requestId: "r2",
            session: "bad name",
            scope: "session",
            windowIndex: 0,
            error: "invalid session name",
          }),
        );
        assert.deepEqual(
          await ask(sub, { type: "SEEN", requestId: "r3", session: "ev", scope: "PANE", paneId: "4" }),
          invalid({
            requestId: "r3",
            session: "ev",
            scope: "pane",
            paneId: "4",
            windowIndex: 0,
            error: "paneId must start with %",
          }),
        );
        assert.deepEqual(
          await ask(sub, {
            type: "seen",
            requestId: "r4",
            session: "ev",
            scope: "window",
            windowIndex: -3,
          }),
          invalid({
            requestId: "r4",
            session: "ev",
            scope: "window",
            error: "windowIndex must be >= 0",
          }),
        );
      } finally {
        await sub.close();
      }
    });

    test("a valid seen with nothing unread: acked false, the current globalRev, patches of the session", async (t) => {
      if (!(await watchtowerWired(t))) return;
      const sub = await connect();
      try {
        const ack = (await ask(sub, { type: "seen", session: "ev", scope: "session" })) as Record<
          string,
          unknown
        >;
        assert.equal(ack.type, "tmux.seen.ack");
        assert.equal(ack.requestId, "");
        assert.equal(ack.acked, false);
        assert.equal(typeof ack.globalRev, "number");
        assert.equal(ack.windowIndex, 0);
        assert.equal("paneId" in ack, false);
        assert.equal("error" in ack, false);
        assert.ok(Array.isArray(ack.sessionPatches));
        assert.ok(Array.isArray(ack.inspectorPatches));
      } finally {
        await sub.close();
      }
    });

    test("an acked seen: the ack first, then inspector seen, then sessions seen", async (t) => {
      if (!(await watchtowerWired(t))) return;
      const sub = await connect();
      try {
        const pane = (await tmux.tmux("list-panes", "-t", "=ev:0", "-F", "#{pane_id}"))
          .trim()
          .split("\n")[0]!;
        await tmux.tmux("send-keys", "-t", pane, "echo unread-output-here", "Enter");
        await waitFor(
          async () => {
            const res = await server.api("/api/tmux/sessions/ev/panes");
            const { data } = (await res.json()) as {
              data: { panes: Array<{ paneId: string; hasUnread: boolean }> };
            };
            return data.panes.find((p) => p.paneId === pane)?.hasUnread;
          },
          10_000,
          "unread pane",
        );
        const before = sub.messages.length;
        sub.ws.send(
          JSON.stringify({ type: "seen", requestId: "s1", session: "ev", scope: "pane", paneId: pane }),
        );
        // The watchtower's activity events may interleave (the pane is still writing its prompt).
        const seenFlow = () =>
          sub.messages
            .slice(before)
            .filter(
              (m) =>
                m.type !== "tmux.activity.updated" &&
                m.type !== "tmux.timeline.updated" &&
                m.payload?.action !== "activity",
            );
        await waitFor(() => seenFlow().length >= 3, 5000, "ack and broadcasts");
        const got = seenFlow().slice(0, 3) as unknown as Array<Record<string, unknown>>;
        assert.equal(got[0]?.type, "tmux.seen.ack");
        assert.equal(got[0]?.acked, true);
        assert.equal(got[1]?.type, "tmux.inspector.updated");
        assert.deepEqual(got[1]?.payload, { session: "ev", action: "seen", scope: "pane" });
        assert.equal(got[2]?.type, "tmux.sessions.updated");
        assert.equal((got[2]?.payload as { action?: string } | undefined)?.action, "seen");
      } finally {
        await sub.close();
      }
    });
  });
});
