// One terminal's attachment over /ws/tmux against a scripted server: the status frame, UTF-8 split across
// frames, input and resize frames, the end of a session versus a detach, re-attaching after a lost connection,
// a refused attach.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import type { WebSocket } from "ws";
import { type AttachState, TmuxAttachment } from "../../src/extension/terminal/attachment.js";
import { silentLogger } from "../../src/extension/util/log.js";
import { type FakeServer, startFakeServer, until } from "./extensionFakeServer.js";

let server: FakeServer;
before(async () => {
  server = await startFakeServer("t0k");
});
after(async () => {
  await server.close();
});
afterEach(() => {
  server.onTmux = undefined;
  server.refuseUpgrades = undefined;
  for (const s of server.tmuxSockets) s.ws.terminate();
  server.tmuxSockets.length = 0;
});

function attach(session = "dev", exists: () => boolean | undefined = () => true) {
  const out: string[] = [];
  const states: AttachState[] = [];
  const exits: number[] = [];
  const attachment = new TmuxAttachment(session, {
    log: silentLogger,
    endpoint: async () => ({ url: server.url, token: "t0k" }),
    sessionExists: async () => exists(),
    write: (text) => out.push(text),
    exit: (code) => exits.push(code),
    onStateChange: (state) => states.push(state),
  });
  return { attachment, out, states, exits, text: () => out.join("") };
}

const attached = (ws: WebSocket, session = "dev") =>
  ws.send(JSON.stringify({ type: "status", state: "attached", session }));

describe("tmux attachment", () => {
  test("status first, then output decoded as streaming UTF-8 across frame boundaries", async () => {
    server.onTmux = (ws) => {
      attached(ws);
      const bytes = Buffer.from("héllo ✓ wörld", "utf8");
      // Split inside "é" (2 bytes) and inside "✓" (3 bytes).
      ws.send(bytes.subarray(0, 2), { binary: true });
      ws.send(bytes.subarray(2, 8), { binary: true });
      ws.send(bytes.subarray(8), { binary: true });
    };
    const a = attach();
    a.attachment.open(100, 30);
    await until(() => a.text().includes("wörld"), "output");
    assert.equal(a.text(), "héllo ✓ wörld");
    assert.equal(a.attachment.state, "attached");
    const socket = server.tmuxSockets[0]!;
    assert.equal(socket.url.search, "?session=dev&cols=100&rows=30");
    a.attachment.close();
  });

  test("keys go out as binary frames, resizes as JSON control frames", async () => {
    server.onTmux = (ws) => attached(ws);
    const a = attach();
    a.attachment.open(80, 24);
    await until(() => a.attachment.state === "attached", "attached");
    a.attachment.input("ls ✓\r");
    a.attachment.resize(132, 43);
    a.attachment.resize(0, 10);
    const socket = server.tmuxSockets[0]!;
    await until(() => socket.received.length >= 3, "frames");
    const frames = socket.received.map((f) => ({ binary: f.binary, text: f.data.toString("utf8") }));
    assert.deepEqual(frames, [
      { binary: false, text: '{"type":"resize","cols":80,"rows":24}' },
      { binary: true, text: "ls ✓\r" },
      { binary: false, text: '{"type":"resize","cols":132,"rows":43}' },
    ]);
    a.attachment.close();
  });

  test("the session ended: a clear message, and the next key closes the terminal", async () => {
    server.onTmux = (ws) => {
      attached(ws);
      setTimeout(() => ws.close(1000, "done"), 20);
    };
    const a = attach("dev", () => false);
    a.attachment.open(80, 24);
    await until(() => a.attachment.state === "ended", "ended");
    assert.match(a.text(), /the tmux session "dev" has ended\. Press any key to close this terminal\./);
    a.attachment.input("x");
    assert.deepEqual(a.exits, [0]);
  });

  test("a detach: Enter attaches again, as the same terminal", async () => {
    let n = 0;
    server.onTmux = (ws) => {
      attached(ws);
      if (++n === 1) setTimeout(() => ws.close(1000, "done"), 20);
    };
    const a = attach("dev", () => true);
    a.attachment.open(80, 24);
    await until(() => a.attachment.state === "detached", "detached");
    assert.match(a.text(), /detached from "dev"/);
    a.attachment.input("\r");
    await until(() => a.attachment.state === "attached" && a.attachment.attaches === 2, "re-attached");
    a.attachment.close();
  });

  test("a lost connection re-attaches by itself", async () => {
    server.onTmux = (ws) => attached(ws);
    const a = attach("dev", () => undefined);
    a.attachment.open(80, 24);
    await until(() => a.attachment.state === "attached", "attached");
    server.tmuxSockets[0]!.ws.terminate();
    await until(() => a.states.includes("reconnecting"), "reconnecting");
    await until(() => a.attachment.attaches === 2 && a.attachment.state === "attached", "re-attached");
    assert.match(a.text(), /connection lost \(1006\); re-attaching/);
    assert.equal(server.tmuxSockets.length, 2);
    a.attachment.close();
  });

  test("a session that does not exist (404) ends the terminal with that reason", async () => {
    server.refuseUpgrades = 404;
    const a = attach("nope");
    a.attachment.open(80, 24);
    await until(() => a.attachment.state === "ended", "ended");
    assert.match(a.text(), /the tmux session "nope" does not exist/);
  });

  test("closing the terminal detaches without a message and stops retrying", async () => {
    server.onTmux = (ws) => attached(ws);
    const a = attach();
    a.attachment.open(80, 24);
    await until(() => a.attachment.state === "attached", "attached");
    const closed = new Promise<number>((resolve) =>
      server.tmuxSockets[0]!.ws.once("close", (code) => resolve(code)),
    );
    a.attachment.close();
    assert.equal(await closed, 1000);
    assert.equal(a.attachment.state, "closed");
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(server.tmuxSockets.length, 1);
    assert.doesNotMatch(a.text(), /Sentinel/);
  });
});
