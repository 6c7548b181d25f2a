// /ws/tmux against the real server and a real tmux on a private socket.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";
import { type ServerHandle, startServer } from "./serverFixture.js";
import { startTmux, type TmuxFixture, waitFor } from "./tmuxFixture.js";

let tmux: TmuxFixture;
let server: ServerHandle;

before(async () => {
  tmux = await startTmux();
  await tmux.newSession("main");
  server = await startServer({ tmuxSocket: tmux.socket });
});

after(async () => {
  await server?.stop();
  await tmux?.close();
});

interface Client {
  ws: WebSocket;
  texts: string[];
  output(): string;
  bytes(): Buffer;
  closed: Promise<{ code: number; reason: string }>;
}

function connect(
  query: string,
  opts: { protocols?: string[]; headers?: Record<string, string> } = {},
): Client {
  const ws = new WebSocket(
    `${server.url.replace("http", "ws")}/ws/tmux?${query}`,
    opts.protocols ?? ["sentinel.v1"],
    {
      headers: opts.headers ?? { authorization: `Bearer ${server.token}` },
    },
  );
  const texts: string[] = [];
  const chunks: Buffer[] = [];
  ws.on("message", (data, isBinary) => {
    if (isBinary) chunks.push(data as Buffer);
    else texts.push(data.toString());
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  ws.on("error", () => undefined);
  return {
    ws,
    texts,
    closed,
    bytes: () => Buffer.concat(chunks),
    output: () => Buffer.concat(chunks).toString("utf8"),
  };
}

async function opened(client: Client): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    client.ws.once("open", () => resolve());
    client.ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  await waitFor(() => client.texts.length > 0, 5000, "status frame");
}

function refusal(query: string, headers?: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${server.url.replace("http", "ws")}/ws/tmux?${query}`, ["sentinel.v1"], {
      headers: headers ?? { authorization: `Bearer ${server.token}` },
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
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on("error", () => undefined);
  });
}

const capture = async (target: string) => tmux.tmux("capture-pane", "-p", "-t", target);

describe("/ws/tmux", () => {
  test("the status frame comes first, then typed input reaches the pane", async () => {
    const c = connect("session=main");
    await opened(c);
    assert.equal(c.ws.protocol, "sentinel.v1");
    assert.deepEqual(JSON.parse(c.texts[0]!), { type: "status", state: "attached", session: "main" });
    c.ws.send(Buffer.from("echo typed-$((6*7))\r"));
    await waitFor(async () => (await capture("=main:")).includes("typed-42"), 5000, "echo in capture-pane");
    await waitFor(() => c.output().includes("typed-42"), 5000, "echo in the stream");
    c.ws.close(1000);
    assert.equal((await c.closed).code, 1000);
  });

  test("resize frames reach tmux, clamped to the limits; bad control frames are ignored", async () => {
    const c = connect("session=main&cols=90&rows=30");
    await opened(c);
    // Terminal clients only: the watchtower's control-mode clients are listed too.
    const size = async () =>
      (await tmux.tmux("list-clients", "-F", "#{client_control_mode} #{client_width}x#{client_height}"))
        .split("\n")
        .filter((line) => line.startsWith("0 "))
        .map((line) => line.slice(2))
        .join("\n");
    await waitFor(async () => (await size()) === "90x30", 5000, "initial size 90x30");
    c.ws.send("not json");
    c.ws.send(JSON.stringify({ type: "resize", cols: -1, rows: 10 }));
    c.ws.send(JSON.stringify({ type: "resize", cols: "x", rows: 10 }));
    c.ws.send(JSON.stringify({ type: "other" }));
    c.ws.send(Buffer.from([0xff, 0xfe, 0x00]).toString("latin1"));
    c.ws.send(JSON.stringify({ type: "resize", cols: 100, rows: 30 }));
    await waitFor(async () => (await size()) === "100x30", 5000, "resize to 100x30");
    c.ws.send(JSON.stringify({ type: "resize", cols: 100000, rows: 1 }));
    await waitFor(async () => (await size()) === "500x5", 5000, "clamped size 500x5");
    assert.equal(c.ws.readyState, WebSocket.OPEN);
    c.ws.close();
    await c.closed;
  });

  test("multi-byte UTF-8 output arrives intact", async () => {
    const c = connect("session=main");
    await opened(c);
    c.ws.send(
      Buffer.from(
        "clear; printf '%s%s\\n' 'UTF8:' \"$(printf '\\342\\202\\254\\346\\227\\245\\360\\237\\231\\202')\"\r",
      ),
    );
    await waitFor(() => c.output().includes("UTF8:€日🙂"), 5000, "utf-8 output");
    c.ws.close();
    await c.closed;
  });

  test("a control frame over 8 KiB closes with 1011 and an error frame", async () => {
    const c = connect("session=main");
    await opened(c);
    c.ws.send(JSON.stringify({ type: "resize", cols: 80, rows: 24, pad: "x".repeat(9000) }));
    const closed = await c.closed;
    assert.equal(closed.code, 1011);
    assert.equal(JSON.parse(c.texts.at(-1)!).type, "error");
  });

  test("a frame over 64 KiB closes with 1009", async () => {
    const c = connect("session=main");
    await opened(c);
    c.ws.send(Buffer.alloc(70 * 1024, 0x61));
    assert.equal((await c.closed).code, 1009);
  });

  test("killing the session closes with 1000", async () => {
    await tmux.newSession("doomed");
    const c = connect("session=doomed");
    await opened(c);
    await tmux.tmux("kill-session", "-t", "=doomed");
    assert.deepEqual(await c.closed, { code: 1000, reason: "done" });
    // The end of the terminal's tmux client tells the watchtower tmux changed: a list read right after the close
    // (what the extension does to tell "session ended" from "detached") no longer shows the session.
    const res = await server.api("/api/tmux/sessions");
    const { data } = (await res.json()) as { data: { sessions: Array<{ name: string }> } };
    assert.ok(
      !data.sessions.some((s) => s.name === "doomed"),
      "the killed session is not listed after the close",
    );
  });

  test("exact targets: dev never attaches dev2", async () => {
    await tmux.newSession("dev2");
    const r = await refusal("session=dev");
    assert.equal(r.status, 404);
    assert.equal(r.body.trim(), "session not found");
    const c = connect("session=dev2");
    await opened(c);
    assert.equal(JSON.parse(c.texts[0]!).session, "dev2");
    c.ws.close();
    await c.closed;
  });

  test("bad session names are refused before the upgrade", async () => {
    for (const name of ["a%20b", "x:y", "-t", "a".repeat(65), ""]) {
      const r = await refusal(`session=${name}`);
      assert.equal(r.status, 400, name);
      assert.equal(r.body.trim(), "invalid session");
    }
  });

  test("a client that stops reading during a flood costs bounded memory and does not stall others", async () => {
    await tmux.newSession("flood");
    await tmux.newSession("calm");
    const rss = () => {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.pid}/status`, "utf8"));
      return Number(m?.[1] ?? 0) * 1024;
    };
    const slow = connect("session=flood");
    await opened(slow);
    const calm = connect("session=calm");
    await opened(calm);
    slow.ws.send(Buffer.from("yes flood-line-with-some-padding-to-make-it-longer\r"));
    await waitFor(() => slow.output().includes("flood-line"), 5000, "flood starts");
    // Stop reading: the kernel buffers fill, then the server's socket buffer, then the PTY must pause.
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    await new Promise((r) => setTimeout(r, 1000));
    const before = rss();
    const samples: number[] = [];
    for (let i = 0; i < 8; i++) {
      await new Promise((r) => setTimeout(r, 500));
      samples.push(rss());
    }
    const growth = Math.max(...samples) - before;
    assert.ok(growth < 32 * 1024 * 1024, `RSS grew by ${(growth / 1048576).toFixed(1)} MiB`);
    // Another client still gets its echo promptly.
    calm.ws.send(Buffer.from("echo calm-$((40+2))\r"));
    await waitFor(() => calm.output().includes("calm-42"), 3000, "calm client echo");
    await tmux.tmux("send-keys", "-t", "=flood:", "C-c");
    calm.ws.close();
    slow.ws.terminate();
    await Promise.all([calm.closed, slow.closed]);
  });
});
