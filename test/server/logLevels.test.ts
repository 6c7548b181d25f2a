// Log levels that mean something (issue 14, item 10): an answer that is an expected state (a 4xx for bad input
// or an unknown session, a 503 for a feature this host lacks, such as service management without systemd) is
// not an error: a 4xx is logged at debug, an expected 503 at info once (then debug), never with a stack. Only
// faults are errors, with their stack. Against the real server (stderr at level debug) and a private tmux.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { type ServerHandle, startServer } from "./serverFixture.js";
import { startTmux, type TmuxFixture } from "./tmuxFixture.js";

let tmux: TmuxFixture;
let server: ServerHandle;

before(async () => {
  tmux = await startTmux();
  await tmux.newSession("main");
  server = await startServer({ tmuxSocket: tmux.socket, env: { SENTINEL_LOG_LEVEL: "debug" } });
});

after(async () => {
  await server?.stop();
  await tmux?.close();
});

interface LogLine {
  level: number;
  msg?: string;
  err?: { stack?: string };
  code?: string;
  status?: number;
}

/** pino's levels. */
const DEBUG = 20;
const INFO = 30;
const WARN = 40;

/** The JSON log lines written since `from` (an offset into stderr). */
function linesSince(from: number): LogLine[] {
  return server
    .logs()
    .slice(from)
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as LogLine);
}

/** Log lines that carry an error code (the error handler's), never a request line or an unrelated one. */
const answered = (lines: LogLine[]) => lines.filter((l) => typeof l.code === "string");

describe("expected answers are not logged as errors", () => {
  test("4xx answers are logged at debug, without a stack", async () => {
    const from = server.logs().length;
    const answers = [
      await server.api("/api/tmux/sessions/nope/windows"),
      await server.api("/api/tmux/sessions", { method: "POST", json: { name: "-bad" } }),
      await server.api("/api/tmux/sessions/main/rename-window", { method: "POST", json: "{oops" }),
      await server.api("/api/ops/runbooks/no-such-runbook"),
    ];
    assert.deepEqual(
      answers.map((r) => r.status),
      [404, 400, 400, 404],
    );
    await server.api("/api/meta"); // a request after them: their log lines are out.
    const lines = answered(linesSince(from));
    assert.equal(lines.length, 4, JSON.stringify(linesSince(from)));
    for (const line of lines) {
      assert.equal(line.level, DEBUG, JSON.stringify(line));
      assert.equal(line.err, undefined, JSON.stringify(line));
    }
  });

  test("a 503 for a host without systemd is logged at info once, then at debug, without a stack", {
    skip: existsSync("/run/systemd/system") ? "this host runs systemd" : false,
  }, async () => {
    const from = server.logs().length;
    for (let i = 0; i < 5; i++) {
      const res = await server.api("/api/ops/services");
      assert.equal(res.status, 503, await res.text());
    }
    await server.api("/api/meta");
    const lines = answered(linesSince(from)).filter((l) => l.code === "OPS_UNAVAILABLE");
    assert.equal(lines.length, 5, JSON.stringify(lines));
    assert.deepEqual(
      lines.map((l) => l.level),
      [INFO, DEBUG, DEBUG, DEBUG, DEBUG],
    );
    for (const line of lines) assert.equal(line.err, undefined, JSON.stringify(line));
    assert.ok(
      linesSince(from).every((l) => l.level < WARN),
      "nothing at warn or error",
    );
  });
});
