#!/usr/bin/env node
// A stand-in for the VS Code executable, for `@vscode/test-electron`'s `runTests({ vscodeExecutablePath })`.
// Desktop VS Code cannot be downloaded here, so this runs the same tests in the real VS Code server
// (code-server, on Node 24) and drives its workbench with a headless Chromium:
//   1. code-server on a free 127.0.0.1 port, with --config/--user-data-dir/--extensions-dir in private dirs and
//      `--vscode-option enable-smoke-test-driver`, which makes the workbench honour the development payload;
//   2. Chromium opens `/?folder=…&payload=[[extensionDevelopmentPath, …], [extensionTestsPath, …]]`;
//   3. the extension host runs the tests' `run()`; the workbench reports the result via window.codeAutomationExit
//      and the extension host's console via window.codeAutomationLog, which Playwright exposes to us.
// The exit code is the tests' (0 = all passed). code-server and Chromium are stopped on every path out.
//
// Arguments (as test-electron passes them): [folder] --user-data-dir=D --extensions-dir=D
//   --extensionDevelopmentPath=P --extensionTestsPath=P (other VS Code flags are accepted and ignored).
// Environment: SENTINEL_VSCODE_NODE, SENTINEL_VSCODE_CODE_SERVER (entry.js), CHROMIUM (else tools.mjs decides),
//   SENTINEL_VSCODE_TEST_TIMEOUT_MS (default 600000), SENTINEL_VSCODE_TEST_VERBOSE=1 (echo code-server's log).
import { spawn } from "node:child_process";
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS, freePort, OFFLINE_USER_SETTINGS } from "./common.mjs";
import { installedTools } from "./tools.mjs";

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const say = (message) => process.stderr.write(`vscode-test host: ${message}\n`);

function parseArgs(argv) {
  const options = new Map();
  const positional = [];
  for (const arg of argv) {
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      if (eq > 0) options.set(arg.slice(2, eq), arg.slice(eq + 1));
      else options.set(arg.slice(2), "");
    } else positional.push(arg);
  }
  return { options, positional };
}

/** Workbench messages that an offline code-server always produces; shown only with SENTINEL_VSCODE_TEST_VERBOSE=1. */
const NOISE = [
  /^(Resolving|Resolved) connection token/,
  /^Creating a socket \(/,
  /^\[reconnection-grace-time\]/,
  /^Updating additional builtin extensions cache/,
  /^\[Service Worker\]/,
  /^\[AgentHost/,
  /^\[AccountPolicyGate\]/,
  /^\[DefaultAccount\]/,
  /authentication provider 'github'/,
  /ENOTFOUND (open-vsx\.org|marketplace|.*\.data\.microsoft\.com)/,
  /^Canceled(: Canceled)*$/,
];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const { options, positional } = parseArgs(process.argv.slice(2));
  const devPath = options.get("extensionDevelopmentPath");
  const testsPath = options.get("extensionTestsPath");
  if (!devPath || !testsPath)
    throw new Error("needs --extensionDevelopmentPath=… and --extensionTestsPath=…");
  const folder = resolve(positional[0] ?? devPath);

  const tools = installedTools();
  const node = process.env.SENTINEL_VSCODE_NODE || tools?.node;
  const codeServer = process.env.SENTINEL_VSCODE_CODE_SERVER || tools?.codeServerEntry;
  const chromiumPath = process.env.CHROMIUM || tools?.chromium;
  if (!node || !codeServer || !chromiumPath || !existsSync(codeServer)) {
    throw new Error("test tools missing: run `node scripts/vscode-test/tools.mjs`");
  }

  // Private state: under the given --user-data-dir's parent, or a temp dir of our own that we remove.
  const ownRoot = !options.get("user-data-dir");
  const root = ownRoot
    ? mkdtempSync(join(tmpdir(), "sentinel-vscode-"))
    : dirname(resolve(options.get("user-data-dir")));
  const userDataDir = resolve(options.get("user-data-dir") || join(root, "user-data"));
  const extensionsDir = resolve(options.get("extensions-dir") || join(root, "extensions"));
  const scratch = join(root, "host");
  for (const dir of [userDataDir, join(userDataDir, "User"), extensionsDir, scratch]) {
    mkdirSync(dir, { recursive: true });
  }
  const settingsFile = join(userDataDir, "User", "settings.json");
  const existing = existsSync(settingsFile) ? JSON.parse(readFileSync(settingsFile, "utf8")) : {};
  writeFileSync(settingsFile, JSON.stringify({ ...OFFLINE_USER_SETTINGS, ...existing }, null, 2));

  const cleanups = [];
  let cleaning;
  const cleanup = () => {
    cleaning ??= (async () => {
      for (const fn of cleanups.reverse()) {
        try {
          await fn();
        } catch (error) {
          say(`cleanup: ${error.message}`);
        }
      }
      if (ownRoot) rmSync(root, { recursive: true, force: true });
    })();
    return cleaning;
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    // `on`, not `once`: Ctrl-C arrives twice (from the terminal and forwarded by test-electron), and a second
    // default SIGINT would kill us in the middle of stopping code-server.
    process.on(signal, () => {
      if (!cleaning) say(`${signal}: stopping`);
      cleanup().finally(() => process.exit(130));
    });
  }
  // Orphaned (the test runner died without telling us): stop rather than keep code-server and Chromium alive.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) {
      say("the test runner is gone: stopping");
      cleanup().finally(() => process.exit(1));
    }
  }, 1000).unref();

  try {
    return await runInCodeServer();
  } finally {
    await cleanup();
  }

  async function runInCodeServer() {
    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    const logFile = join(scratch, "code-server.log");
    const log = createWriteStream(logFile);
    const env = { ...process.env, PATH: `${dirname(node)}${delimiter}${process.env.PATH}` };
    // Never let the tests see a tmux of the caller's.
    delete env.TMUX;
    delete env.TMUX_PANE;
    const server = spawn(
      node,
      [
        codeServer,
        "--bind-addr",
        host,
        "--auth",
        "none",
        "--disable-telemetry",
        "--disable-update-check",
        "--disable-workspace-trust",
        "--disable-getting-started-override",
        "--config",
        join(scratch, "config.yaml"),
        "--user-data-dir",
        userDataDir,
        "--extensions-dir",
        extensionsDir,
        "--vscode-option",
        "enable-smoke-test-driver",
        folder,
      ],
      // Its own process group, so that one signal reaches its extension hosts, file watcher and pty host.
      { env, detached: true, stdio: ["ignore", "pipe", "pipe"] },
    );
    const verbose = process.env.SENTINEL_VSCODE_TEST_VERBOSE === "1";
    for (const stream of [server.stdout, server.stderr]) {
      stream.on("data", (chunk) => {
        log.write(chunk);
        if (verbose) process.stderr.write(chunk);
      });
    }
    let serverExit;
    const serverExited = new Promise((r) => {
      server.once("exit", (code, signal) => {
        serverExit = code ?? signal;
        r(`code-server exited (${serverExit})`);
      });
    });
    cleanups.push(async () => {
      if (serverExit !== undefined) return;
      try {
        process.kill(-server.pid, "SIGTERM");
      } catch {}
      const stopped = await Promise.race([serverExited.then(() => true), sleep(5000).then(() => false)]);
      if (!stopped) {
        say("code-server ignored SIGTERM: SIGKILL");
        try {
          process.kill(-server.pid, "SIGKILL");
        } catch {}
      }
      // Leftovers of the group (an extension host that outlived the server) get the same treatment.
      try {
        process.kill(-server.pid, "SIGKILL");
      } catch {}
    });
    const failWithLog = (message) => {
      const tail = existsSync(logFile) ? readFileSync(logFile, "utf8").slice(-3000) : "";
      return new Error(`${message}\n--- code-server log (tail) ---\n${tail}`);
    };

    for (;;) {
      if (serverExit !== undefined) throw failWithLog(`code-server exited early (${serverExit})`);
      try {
        const res = await fetch(`http://${host}/healthz`);
        if (res.ok) break;
      } catch {}
      if (Date.now() - started > 60_000) throw failWithLog("code-server did not answer /healthz within 60 s");
      await sleep(100);
    }
    say(`code-server up on ${host} after ${elapsed()}`);

    say(`starting Chromium after ${elapsed()}`);
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      timeout: 60_000,
      // Our signal handlers stop Chromium and then code-server; Playwright's would exit before the second step.
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
      args: CHROMIUM_ARGS,
    });
    cleanups.push(() => Promise.race([browser.close(), sleep(5000)]));
    say(`Chromium up after ${elapsed()}`);
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    let finish;
    const finished = new Promise((r) => {
      finish = r;
    });
    // The workbench's log, which in this mode includes the extension host's console (the tests' report).
    // All of it goes to host/workbench.log; the terminal gets it without the offline/AI noise.
    const workbenchLog = createWriteStream(join(scratch, "workbench.log"));
    await page.exposeFunction("codeAutomationLog", (level, message) => {
      const parts = Array.isArray(message) ? message : [message];
      const text = parts.map((p) => (typeof p === "string" ? p : JSON.stringify(p))).join(" ");
      workbenchLog.write(`[${level}] ${text}\n`);
      if (verbose || !NOISE.some((re) => re.test(text))) {
        process.stdout.write(`${level === "error" || level === "warn" ? `[${level}] ` : ""}${text}\n`);
      }
    });
    await page.exposeFunction("codeAutomationExit", (code, logs) => {
      // The workbench hands over its own log files too: keep them beside ours.
      for (const { relativePath, contents } of Array.isArray(logs) ? logs : []) {
        try {
          const file = join(scratch, "workbench-logs", relativePath);
          if (!file.startsWith(join(scratch, "workbench-logs"))) continue;
          mkdirSync(dirname(file), { recursive: true });
          writeFileSync(file, contents);
        } catch {}
      }
      finish(Number(code));
    });
    page.on("pageerror", (error) => say(`page error: ${error.message}`));
    page.on("crash", () => finish("the workbench page crashed"));
    browser.on("disconnected", () => finish("Chromium disconnected"));

    const payload = [
      ["extensionDevelopmentPath", `vscode-remote://${host}${resolve(devPath)}`],
      ["extensionTestsPath", `vscode-remote://${host}${resolve(testsPath)}`],
    ];
    const url = `http://${host}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    await page.goto(url, { waitUntil: "domcontentloaded", timeout: 60_000 });
    say(`workbench loading after ${elapsed()}`);

    const timeoutMs = Number(process.env.SENTINEL_VSCODE_TEST_TIMEOUT_MS || 600_000);
    const outcome = await Promise.race([
      finished,
      serverExited,
      sleep(timeoutMs).then(() => `timed out after ${timeoutMs / 1000} s`),
    ]);
    if (typeof outcome === "number") {
      say(`tests finished with exit code ${outcome} after ${elapsed()}`);
      return outcome;
    }
    // Not a test result: show where things stand.
    try {
      const shot = join(scratch, "failure.png");
      await Promise.race([page.screenshot({ path: shot }), sleep(5000)]);
    } catch {}
    throw failWithLog(outcome);
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    say(`FAILED after ${elapsed()}: ${error.stack || error.message}`);
    process.exit(1);
  },
);
