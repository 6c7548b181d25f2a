// `npm run test:vscode`: the extension tests (test/extension/*.test.ts, mocha) inside a real VS Code 1.139 —
// code-server's remote extension host, driven by headless Chromium — through @vscode/test-electron's runTests
// with `vscodeExecutablePath` pointing at ./code-shim.mjs.
//
// Per run, in one temp dir that is removed at the end (also on failure; SENTINEL_VSCODE_TEST_KEEP=1 keeps it):
//   home/ and tmp/       HOME and TMPDIR of everything started here (code-server, Chromium, the extension's server)
//   tmux/sock            a fixture tmux server (`tmux -S … -f /dev/null`): sessions alpha (2 windows, one split) and beta
//   workspace/           the folder VS Code opens; .sentinel-test.json tells the tests where things are
//   user-data/ extensions/  VS Code's profile; user settings point the extension at the fixture socket and data dir
//   results.json         written by the test runner inside VS Code: pass/fail counts and timings
// Every process started here carries SENTINEL_VSCODE_TEST_RUN=<id> in its environment; whatever is still alive
// with it at the end (a server the extension detached, a Chromium child) is killed by pid.
//
// Options: --grep <pattern> (mocha grep), --no-build. Environment: SENTINEL_VSCODE_TEST_TIMEOUT_MS,
// SENTINEL_VSCODE_TEST_VERBOSE=1, SENTINEL_VSCODE_TEST_KEEP=1, SENTINEL_VSCODE_TEST_CACHE (tools.mjs).
import { execFileSync, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runTests } from "@vscode/test-electron";
import * as esbuild from "esbuild";
import { markedPids, reap } from "./common.mjs";
import { installedTools, installTools } from "./tools.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..", "..");
const testsSrc = join(repo, "test", "extension");
const testsOut = join(repo, "out", "test", "extension");
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const say = (message) => process.stderr.write(`vscode-test: ${message}\n`);

const argv = process.argv.slice(2);
const grepAt = argv.indexOf("--grep");
const grep = grepAt >= 0 ? argv[grepAt + 1] : undefined;
const build = !argv.includes("--no-build");
const keep = process.env.SENTINEL_VSCODE_TEST_KEEP === "1";
const timeoutMs = Number(process.env.SENTINEL_VSCODE_TEST_TIMEOUT_MS || 600_000);

/** Bundles test/extension/index.ts and every *.test.ts into out/test/extension/ (mocha and vscode stay external). */
async function buildTests() {
  rmSync(testsOut, { recursive: true, force: true });
  const entries = readdirSync(testsSrc)
    .filter((f) => f === "index.ts" || f.endsWith(".test.ts"))
    .map((f) => join(testsSrc, f));
  await esbuild.build({
    entryPoints: entries,
    outdir: testsOut,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    sourcemap: "inline",
    logLevel: "warning",
    external: ["vscode", "mocha"],
  });
  writeFileSync(join(testsOut, "package.json"), '{ "type": "commonjs" }\n');
}

/** Asks the VS Code shim to stop (it closes Chromium and code-server in order) and waits for it, up to 10 s. */
async function stopShim(marker) {
  const isShim = (pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("code-shim.mjs");
    } catch {
      return false;
    }
  };
  let shims = markedPids(marker).filter(isShim);
  for (const pid of shims) {
    try {
      process.kill(pid, "SIGTERM");
    } catch {}
  }
  for (let i = 0; i < 100 && shims.length; i++) {
    await new Promise((r) => setTimeout(r, 100));
    shims = shims.filter((pid) => existsSync(`/proc/${pid}`) && isShim(pid));
  }
}

function startFixtureTmux(root, env) {
  const socket = join(root, "tmux", "sock");
  mkdirSync(dirname(socket), { recursive: true });
  const tmux = (...args) =>
    execFileSync("tmux", ["-S", socket, "-f", "/dev/null", ...args], { env, encoding: "utf8" });
  tmux("new-session", "-d", "-s", "alpha", "-n", "editor", "-x", "120", "-y", "40");
  tmux("split-window", "-d", "-t", "=alpha:editor");
  tmux("new-window", "-d", "-t", "=alpha", "-n", "logs");
  tmux("new-session", "-d", "-s", "beta", "-n", "main", "-x", "120", "-y", "40");
  return { socket, tmux };
}

function report(results) {
  if (!results) {
    say("no results.json: the test runner did not finish inside VS Code");
    return;
  }
  for (const m of results.metrics ?? []) {
    // One JSON line per figure, in the shape bench/ prints.
    process.stdout.write(`${JSON.stringify({ bench: "vscode", ...m })}\n`);
  }
  say(
    `${results.passed} passed, ${results.failed} failed, ${results.pending} pending (VS Code ${results.vscodeVersion}, ${results.durationMs} ms in the extension host)`,
  );
}

async function main() {
  if (build) {
    const b = spawnSync(process.execPath, [join(repo, "scripts", "build.mjs")], { stdio: "inherit" });
    if (b.status !== 0) throw new Error("npm run build failed");
  }
  await buildTests();

  let tools = installedTools();
  if (!tools) {
    say("first run: installing the test tools (a few minutes)");
    tools = installTools();
  }

  const runId = randomUUID();
  const marker = `SENTINEL_VSCODE_TEST_RUN=${runId}`;
  const root = mkdtempSync(join(tmpdir(), "sentinel-vscode-"));
  const dirs = {
    home: join(root, "home"),
    tmp: join(root, "tmp"),
    workspace: join(root, "workspace"),
    userData: join(root, "user-data"),
    extensions: join(root, "extensions"),
    data: join(root, "data"),
  };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  const env = {
    ...process.env,
    HOME: dirs.home,
    TMPDIR: dirs.tmp,
    XDG_CONFIG_HOME: join(dirs.home, ".config"),
    XDG_DATA_HOME: join(dirs.home, ".local", "share"),
    XDG_CACHE_HOME: join(dirs.home, ".cache"),
    XDG_RUNTIME_DIR: dirs.tmp,
    SHELL: "/bin/sh",
    SENTINEL_VSCODE_TEST_RUN: runId,
    SENTINEL_VSCODE_NODE: tools.node,
    SENTINEL_VSCODE_CODE_SERVER: tools.codeServerEntry,
    CHROMIUM: tools.chromium,
    // The extension returns its test API (src/extension/testApi.ts) only to a test host that sets this: code-server
    // passes its environment on to the extension host, where the extension and the tests run.
    SENTINEL_VSCODE_TEST: "1",
    // The server's bench-only event source (/api/bench/events), for the Events view's 5,000-event burst.
    SENTINEL_BENCH_EVENTS: "1",
    // An ops alert to acknowledge: the health check runs every second and any disk usage over 1 % is "high".
    SENTINEL_OPS_HEALTH_INTERVAL: "1s",
    SENTINEL_OPS_DISK_THRESHOLD: "1",
  };
  delete env.TMUX;
  delete env.TMUX_PANE;
  for (const key of Object.keys(env))
    if (key.startsWith("SENTINEL_") && key.endsWith("TOKEN")) delete env[key];

  let fixture;
  let cleaning;
  const cleanup = () => {
    cleaning ??= (async () => {
      try {
        fixture?.tmux("kill-server");
      } catch {}
      await reap(marker, say);
      if (keep) say(`kept ${root}`);
      else rmSync(root, { recursive: true, force: true });
    })();
    return cleaning;
  };
  // Ctrl-C reaches the VS Code shim too (test-electron forwards it) and runTests then returns: the finally below
  // cleans up. SIGTERM/SIGHUP only reach us: clean up here, which also stops the shim.
  for (const signal of ["SIGTERM", "SIGHUP"]) {
    process.once(signal, async () => {
      say(`${signal}: stopping`);
      await stopShim(marker);
      await cleanup();
      process.exit(143);
    });
  }
  const watchdog = setTimeout(async () => {
    say(`watchdog: no result after ${(timeoutMs + 60_000) / 1000} s`);
    await stopShim(marker);
    await reap(marker, say);
  }, timeoutMs + 60_000);
  try {
    fixture = startFixtureTmux(root, env);
    const resultsFile = join(root, "results.json");
    writeFileSync(
      join(dirs.workspace, ".sentinel-test.json"),
      JSON.stringify(
        { root, tmuxSocket: fixture.socket, dataDir: dirs.data, results: resultsFile, grep, runId },
        null,
        2,
      ),
    );
    // The extension's settings, as user settings (and remote "machine" settings, which win in a remote window).
    const sentinelSettings = { "sentinel.tmuxSocket": fixture.socket, "sentinel.dataDir": dirs.data };
    for (const scope of ["User", "Machine"]) {
      mkdirSync(join(dirs.userData, scope), { recursive: true });
      writeFileSync(join(dirs.userData, scope, "settings.json"), JSON.stringify(sentinelSettings, null, 2));
    }

    say(`running in ${root} (${elapsed()} so far)`);
    let exitCode;
    try {
      exitCode = await runTests({
        vscodeExecutablePath: join(here, "code-shim.mjs"),
        extensionDevelopmentPath: repo,
        extensionTestsPath: join(testsOut, "index.js"),
        launchArgs: [
          dirs.workspace,
          `--user-data-dir=${dirs.userData}`,
          `--extensions-dir=${dirs.extensions}`,
        ],
        extensionTestsEnv: env,
      });
    } catch (error) {
      say(error.message);
      exitCode = typeof error.code === "number" ? error.code : 1;
    }
    const results = existsSync(resultsFile) ? JSON.parse(readFileSync(resultsFile, "utf8")) : undefined;
    report(results);
    if (exitCode === 0 && (!results || results.failed > 0 || results.passed === 0)) exitCode = 1;
    return exitCode;
  } finally {
    clearTimeout(watchdog);
    await cleanup();
  }
}

main().then(
  (code) => {
    say(`${code === 0 ? "passed" : "FAILED"} in ${elapsed()}`);
    process.exit(code);
  },
  (error) => {
    say(`FAILED in ${elapsed()}: ${error.stack || error.message}`);
    process.exit(1);
  },
);
