// The query shell (ADR 0022) against a real tmux on a private socket: read-only calls started by one long-lived
// /bin/sh give the same answers and the same errors as a direct call; every argument reaches tmux as exactly its
// bytes (nothing expanded or run); a call that hangs is killed at its timeout; calls run side by side; a shell
// that dies loses no call (they run directly) and is started again; and the shell goes away with its directory
// when it is closed or when the process that owns it dies.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Tmux } from "../../src/server/tmux/adapter.js";
import { QUERY_SHELL_NAME } from "../../src/server/tmux/queryShell.js";
import { startTmux, type TmuxFixture, waitFor } from "./tmuxFixture.js";

let fx: TmuxFixture;
const owned: Tmux[] = [];

/** A Tmux whose read-only calls go through a query shell; `warnings` collects what it says. */
function withShell(options: { socketPath?: string; binary?: string } = {}) {
  const warnings: string[] = [];
  const tmux = new Tmux({
    socketPath: options.socketPath ?? fx.socket,
    ...(options.binary ? { binary: options.binary } : {}),
    queryShell: { warn: (m) => warnings.push(m) },
  });
  owned.push(tmux);
  return { tmux, warnings };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

before(async () => {
  fx = await startTmux();
  await fx.newSession("a");
  await fx.newSession("b");
});

after(async () => {
  for (const tmux of owned) await tmux.close();
  await fx?.close();
});

test("a listing through the shell is the direct one, and the shell runs it (not this process)", async () => {
  const { tmux } = withShell();
  const args = ["list-panes", "-a", "-F", "#{session_name} #{pane_id} #{pane_pid}"];
  const shelled = await tmux.query(args);
  const direct = await tmux.run(args);
  assert.equal(shelled, direct);
  assert.match(shelled, /^a %\d+ \d+\nb %\d+ \d+\n$/);
  const shell = tmux.queryShellPid;
  assert.ok(shell !== undefined && alive(shell), "the query shell runs");
  assert.equal(readFileSync(`/proc/${shell}/cmdline`, "utf8").split("\0")[3], QUERY_SHELL_NAME);
});

test("every argument reaches tmux as exactly its bytes: nothing is expanded, split or run", async () => {
  const { tmux } = withShell();
  const marker = join(fx.dir, "ran");
  const texts = [
    "it's",
    `"double" 'single' \\back\\slash`,
    `$(touch ${marker})`,
    `\`touch ${marker}\``,
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell syntax, on purpose
    "$HOME ${HOME} ~ * ? [a] {x,y}",
    "tab\there  two  spaces",
    "semi; colon & amp | pipe > gt < lt",
    "ünïcödé ✓ 🚀",
    "-dash",
    "'",
    "",
  ];
  for (const text of texts) {
    const out = await tmux.query(["list-sessions", "-F", text, "-f", "#{==:#{session_name},a}"]);
    assert.equal(out, `${text}\n`, JSON.stringify(text));
  }
  assert.equal(existsSync(marker), false, "no command in an argument ran");
  // An argument with a line break cannot go on the shell's line: it runs directly, with the same answer.
  assert.equal(await tmux.query(["list-sessions", "-F", "x\ny", "-f", "#{==:#{session_name},a}"]), "x\ny\n");
});

test("errors are the direct call's: a missing session, no server, no tmux binary", async () => {
  const { tmux } = withShell();
  const missing = ["list-windows", "-t", "=nosuch", "-F", "#{window_id}"];
  const direct = await tmux.run(missing).catch((e) => e);
  const shelled = await tmux.query(missing).catch((e) => e);
  assert.equal(direct.code, "SESSION_NOT_FOUND");
  assert.equal(shelled.code, direct.code);
  assert.equal(shelled.message, direct.message);
  assert.equal(await tmux.hasSession("nosuch"), false);
  assert.equal(await tmux.hasSession("a"), true);

  const noServer = withShell({ socketPath: join(fx.dir, "no-such-socket") }).tmux;
  const gone = await noServer.query(["list-sessions"]).catch((e) => e);
  assert.equal(gone.code, "TMUX_SERVER_NOT_RUNNING");

  const noBinary = withShell({ binary: join(fx.dir, "no-tmux-here") }).tmux;
  const absent = await noBinary.query(["list-sessions"]).catch((e) => e);
  assert.equal(absent.code, "TMUX_NOT_FOUND");
});

test("a call that hangs is killed at its timeout; the calls after it still run", async () => {
  // A socket that accepts and never answers: the tmux client waits on it for ever.
  const path = join(fx.dir, "silent.sock");
  const sockets: import("node:net").Socket[] = [];
  const silent = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(path, resolve));
  try {
    const { tmux } = withShell({ socketPath: path });
    const started = Date.now();
    const error = await tmux.query(["list-sessions"], 300).catch((e) => e);
    assert.equal(error.code, "TMUX_COMMAND_FAILED");
    assert.match(error.message, /timed out/);
    assert.ok(Date.now() - started < 2000);
    // The hung client is gone: no process left with that socket on its command line.
    await waitFor(() => !tmuxClientsOf(path).length, 3000, "the timed-out tmux client to exit");
    const { tmux: ok } = withShell();
    assert.match(await ok.query(["list-sessions", "-F", "#{session_name}"]), /^a\nb\n$/);
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
});

test("calls run side by side, each with its own answer", async () => {
  const { tmux } = withShell();
  const answers = await Promise.all(
    Array.from({ length: 40 }, (_, i) =>
      tmux.query(["list-sessions", "-F", `call ${i} #{session_name}`, "-f", "#{==:#{session_name},b}"]),
    ),
  );
  for (const [i, answer] of answers.entries()) assert.equal(answer, `call ${i} b\n`);
});

test("a shell that dies loses no call (they run directly) and is started again", async () => {
  const { tmux, warnings } = withShell();
  await tmux.query(["list-sessions"]);
  const first = tmux.queryShellPid!;
  const calls = Array.from({ length: 10 }, (_, i) =>
    tmux.query(["list-sessions", "-F", `${i}`, "-f", "#{==:#{session_name},a}"]),
  );
  process.kill(first, "SIGKILL");
  const answers = await Promise.all(calls);
  for (const [i, answer] of answers.entries()) assert.equal(answer, `${i}\n`);
  await waitFor(() => warnings.length > 0, 2000, "a warning");
  assert.match(warnings[0]!, /query shell exited/);
  // Started again after its back-off (1 s), on the next call.
  const second = await waitFor(
    async () => {
      await tmux.query(["list-sessions"]);
      return tmux.queryShellPid;
    },
    5000,
    "a new query shell",
  );
  assert.notEqual(second, first);
});

test("close() ends the shell and removes its directory; calls after it run directly", async () => {
  const { tmux } = withShell();
  await tmux.query(["list-sessions"]);
  const pid = tmux.queryShellPid!;
  const dir = readlinkSync(`/proc/${pid}/cwd`);
  assert.ok(existsSync(dir));
  await tmux.close();
  await waitFor(() => !alive(pid), 2000, "the shell to exit");
  assert.equal(existsSync(dir), false, "its directory is removed");
  assert.match(await tmux.query(["list-sessions", "-F", "#{session_name}"]), /^a\nb\n$/);
  assert.equal(tmux.queryShellPid, undefined);
});

test("when its owner dies without closing it, the shell exits and removes its directory", async () => {
  const script = `
    const { Tmux } = require(${JSON.stringify(join(__dirname, "../../src/server/tmux/adapter.ts"))});
    const tmux = new Tmux({ socketPath: ${JSON.stringify(fx.socket)}, queryShell: { warn() {} } });
    tmux.query(["list-sessions"]).then(() => console.log(String(tmux.queryShellPid)));
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ["--import", "tsx", "-e", script], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const pid = Number(
    await new Promise<string>((resolve, reject) => {
      child.stdout!.once("data", (data) => resolve(String(data)));
      child.once("exit", (code) => reject(new Error(`the owner exited (${code}) before its first query`)));
    }),
  );
  assert.ok(pid > 0 && alive(pid));
  const dir = readlinkSync(`/proc/${pid}/cwd`);
  child.kill("SIGKILL");
  await waitFor(() => !alive(pid), 3000, "the orphaned shell to exit");
  await waitFor(() => !existsSync(dir), 2000, "its directory to go");
});

/** Live tmux client processes whose command line names `socket`. */
function tmuxClientsOf(socket: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (cmdline[0]?.endsWith("tmux") && cmdline.includes(socket)) out.push(Number(entry));
    } catch {
      // Exited meanwhile.
    }
  }
  return out;
}
