// A close frame without a code (a browser's `socket.close()`) on /ws/tmux and /ws/events is answered with
// 1000, not 1005 (issue 14, item 3): 1005 means "no code was present" and must never be sent. Against the real
// server and a real tmux on a private socket.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";
import { type ServerHandle, startServer } from "./serverFixture.js";
import { startTmux, type TmuxFixture } from "./tmuxFixture.js";

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

/** Opens the socket, closes it the way a browser does when given no code, and resolves with the server's code. */
async function closeWithoutCode(
  path: string,
  firstMessage: boolean,
): Promise<{ code: number; reason: string }> {
  const ws = new WebSocket(`${server.url.replace("http", "ws")}${path}`, ["sentinel.v1"], {
    headers: { authorization: `Bearer ${server.token}` },
  });
  ws.on("error", () => undefined);
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("unexpected-response", (_req, res) => reject(new Error(`no upgrade: ${res.statusCode}`)));
  });
  // The terminal's first output: the tmux client is attached by the time the close arrives.
  if (firstMessage) await new Promise((resolve) => ws.once("message", resolve));
  ws.close();
  return closed;
}

describe("a close frame without a code", () => {
  test("/ws/tmux answers 1000", async () => {
    const { code } = await closeWithoutCode("/ws/tmux?session=main", true);
    assert.equal(code, 1000);
  });

  test("/ws/events answers 1000", async () => {
    const { code } = await closeWithoutCode("/ws/events", false);
    assert.equal(code, 1000);
  });

  test("a close frame with a code still gets that code back", async () => {
    const ws = new WebSocket(`${server.url.replace("http", "ws")}/ws/events`, ["sentinel.v1"], {
      headers: { authorization: `Bearer ${server.token}` },
    });
    ws.on("error", () => undefined);
    const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
    await new Promise((resolve) => ws.once("open", resolve));
    ws.close(4001, "bye");
    assert.equal(await closed, 4001);
  });
});
