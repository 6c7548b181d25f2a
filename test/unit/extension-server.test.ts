// The server lifecycle's pure parts: the ready line, runtime.json, stderr log lines, the spawn environment.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { serveArgs, serverEnvironment } from "../../src/extension/server/serverEnv.js";
import { LineSplitter, parseServerLogLine } from "../../src/extension/server/serverOutput.js";
import { formatReadyLine, parseReadyLine, parseRuntimeInfo } from "../../src/protocol/runtime.js";

describe("ready line", () => {
  test("the server's ready line", () => {
    const line = JSON.stringify({
      event: "ready",
      url: "http://127.0.0.1:43210",
      port: 43210,
      pid: 4242,
      version: "0.1.0",
    });
    assert.deepEqual(parseReadyLine(line), {
      url: "http://127.0.0.1:43210",
      port: 43210,
      pid: 4242,
      version: "0.1.0",
    });
    assert.deepEqual(parseReadyLine(`  ${line}\r`)?.port, 43210);
  });

  test("anything else is not a ready line", () => {
    for (const line of [
      "",
      "Sentinel 0.1.0 listening on http://127.0.0.1:1",
      '{"level":30,"msg":"hello"}',
      '{"event":"ready","url":"http://127.0.0.1:1","port":0,"pid":1}',
      '{"event":"ready","url":"ftp://x","port":1,"pid":1}',
      '{"event":"ready","url":"http://127.0.0.1:1","port":1,"pid":-3}',
      '{"event":"ready","url":"http://127.0.0.1:1","port":1,"pid":1',
      "[1,2]",
    ])
      assert.equal(parseReadyLine(line), undefined, line);
  });

  test("the line the server prints (formatReadyLine) is the line the extension reads", () => {
    const line = formatReadyLine({
      url: "http://127.0.0.1:4041",
      port: 4041,
      pid: 99,
      version: "1.2.3",
      auth: "token",
    });
    assert.deepEqual(JSON.parse(line), {
      event: "ready",
      url: "http://127.0.0.1:4041",
      port: 4041,
      pid: 99,
      version: "1.2.3",
      auth: "token",
    });
    assert.deepEqual(parseReadyLine(line), {
      url: "http://127.0.0.1:4041",
      port: 4041,
      pid: 99,
      version: "1.2.3",
    });
  });

  test("a trailing slash is dropped from the url", () => {
    const info = parseReadyLine('{"event":"ready","url":"http://[::1]:9/","port":9,"pid":2,"version":"x"}');
    assert.equal(info?.url, "http://[::1]:9");
  });
});

describe("runtime.json", () => {
  test("a complete record", () => {
    const info = parseRuntimeInfo(
      '{"pid":7,"port":4040,"url":"http://127.0.0.1:4040","version":"0.1.0","startedAt":"2026-01-01T00:00:00Z"}\n',
    );
    assert.deepEqual(info, {
      pid: 7,
      port: 4040,
      url: "http://127.0.0.1:4040",
      version: "0.1.0",
      startedAt: "2026-01-01T00:00:00Z",
      tmuxSocket: undefined,
    });
    assert.equal(
      parseRuntimeInfo('{"pid":7,"port":1,"url":"http://127.0.0.1:1","version":"1","tmuxSocket":"/t/s"}')
        ?.tmuxSocket,
      "/t/s",
    );
  });

  test("partial, garbled or foreign content is refused", () => {
    for (const text of [
      "",
      "{",
      '{"pid":7,"port":4040,"url":"http://127.0.0.1:4040"}',
      '{"pid":"7","port":4040,"url":"http://127.0.0.1:4040","version":"1"}',
      '{"pid":7,"port":70000,"url":"http://127.0.0.1:4040","version":"1"}',
      "null",
    ])
      assert.equal(parseRuntimeInfo(text), undefined, text);
  });
});

describe("LineSplitter", () => {
  test("holds a partial line until it completes", () => {
    const s = new LineSplitter();
    assert.deepEqual(s.push("a\nb"), ["a"]);
    assert.deepEqual(s.push("c\r\nd\n"), ["bc", "d"]);
    assert.deepEqual(s.push("tail"), []);
    assert.deepEqual(s.flush(), ["tail"]);
    assert.deepEqual(s.flush(), []);
  });

  test("a runaway line is cut instead of growing for ever", () => {
    const s = new LineSplitter();
    const out = s.push("x".repeat(70 * 1024));
    assert.equal(out.length, 1);
    assert.equal(out[0]!.length, 70 * 1024);
  });
});

describe("server log lines", () => {
  test("pino JSON lines map to levels with their fields", () => {
    assert.deepEqual(
      parseServerLogLine('{"level":40,"time":1,"pid":3,"hostname":"h","msg":"slow","session":"dev","ms":12}'),
      { level: "warn", message: "slow session=dev ms=12" },
    );
    assert.equal(parseServerLogLine('{"level":50,"msg":"x"}')?.level, "error");
    assert.equal(parseServerLogLine('{"level":30,"msg":"x"}')?.level, "info");
    assert.equal(parseServerLogLine('{"level":20,"msg":"x"}')?.level, "debug");
    assert.equal(parseServerLogLine('{"level":10,"msg":"x"}')?.level, "trace");
  });

  test("plain lines are kept; blank lines dropped", () => {
    assert.deepEqual(parseServerLogLine("Sentinel 0.1.0 listening on http://127.0.0.1:1"), {
      level: "info",
      message: "Sentinel 0.1.0 listening on http://127.0.0.1:1",
    });
    assert.equal(parseServerLogLine("sentinel: port 4040 is already in use")?.level, "error");
    assert.equal(parseServerLogLine("   "), undefined);
  });
});

describe("spawn", () => {
  test("the environment drops the extension host's variables and carries the token and the Electron switch", () => {
    const env = serverEnvironment(
      {
        PATH: "/usr/bin",
        HOME: "/home/u",
        VSCODE_IPC_HOOK: "/tmp/x.sock",
        VSCODE_PID: "1",
        ELECTRON_NO_ATTACH_CONSOLE: "1",
        NODE_OPTIONS: "--inspect",
        SENTINEL_TOKEN: "old",
        TMUX: "/tmp/tmux-1/default,1,0",
        APPLICATIONINSIGHTS_CONFIGURATION: "{}",
        UNDEFINED: undefined,
      },
      "secret",
    );
    assert.deepEqual(env, {
      PATH: "/usr/bin",
      HOME: "/home/u",
      MALLOC_TRIM_THRESHOLD_: "131072",
      SENTINEL_MALLOC_ENV: "MALLOC_TRIM_THRESHOLD_",
      ELECTRON_RUN_AS_NODE: "1",
      SENTINEL_TOKEN: "secret",
    });
    assert.equal(serverEnvironment({}, "").SENTINEL_TOKEN, undefined);
  });

  test("a malloc setting of the user's own is kept as it is and not listed for removal", () => {
    const env = serverEnvironment({ MALLOC_TRIM_THRESHOLD_: "0", SENTINEL_MALLOC_ENV: "PATH" }, "t");
    assert.equal(env.MALLOC_TRIM_THRESHOLD_, "0", "the user's value");
    assert.equal(env.SENTINEL_MALLOC_ENV, undefined, "nothing listed, and an inherited list is dropped");
  });

  test("arguments: loopback, the port, the data dir and the socket when set", () => {
    assert.deepEqual(serveArgs({ script: "/x/dist/server.js", port: 0, dataDir: "/d" }), [
      "/x/dist/server.js",
      "serve",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--data-dir",
      "/d",
    ]);
    assert.deepEqual(serveArgs({ script: "s", port: 4040, dataDir: "/d", tmuxSocket: "/t/sock" }).slice(-2), [
      "--tmux-socket",
      "/t/sock",
    ]);
  });
});
