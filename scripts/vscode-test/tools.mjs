// The tools the VS Code test host needs, kept in a cache dir outside the repo:
//   Node 24 (npm package node-<platform>-<arch>), code-server (the real VS Code server, which needs Node 24),
//   and a Chromium from the system (Debian package `chromium`), which is only checked, never installed.
// `node scripts/vscode-test/tools.mjs` installs what is missing (idempotent; ~2 min cold, instant when cached).
// `node scripts/vscode-test/tools.mjs --check` only reports, exit code 1 when something is missing.
// Environment: SENTINEL_VSCODE_TEST_CACHE (default ${XDG_CACHE_HOME:-~/.cache}/sentinel-vscode-test), CHROMIUM.
import { spawnSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { homedir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const NODE_VERSION = "24.21.0";
export const CODE_SERVER_VERSION = "4.139.1";

export function cacheDir() {
  if (process.env.SENTINEL_VSCODE_TEST_CACHE) return resolve(process.env.SENTINEL_VSCODE_TEST_CACHE);
  const base = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(base, "sentinel-vscode-test");
}

function nodePackage() {
  return `node-${process.platform}-${process.arch}`;
}

/** Where each tool lives (whether or not it is installed yet). */
export function toolPaths(cache = cacheDir()) {
  const nodeDir = join(cache, `node-v${NODE_VERSION}-${process.platform}-${process.arch}`);
  const nodeHome = join(nodeDir, "node_modules", nodePackage());
  // code-server's native modules are built against this Node, so the directory names both versions.
  const csDir = join(cache, `code-server-${CODE_SERVER_VERSION}-node${NODE_VERSION}`);
  return {
    cache,
    nodeDir,
    nodeHome,
    nodeBinDir: join(nodeHome, "bin"),
    node: join(nodeHome, "bin", "node"),
    csDir,
    codeServerEntry: join(csDir, "node_modules", "code-server", "out", "node", "entry.js"),
  };
}

/** The system Chromium: $CHROMIUM, else the first of chromium / chromium-browser / google-chrome on PATH. */
export function findChromium() {
  if (process.env.CHROMIUM) return existsSync(process.env.CHROMIUM) ? process.env.CHROMIUM : undefined;
  for (const dir of (process.env.PATH || "").split(delimiter)) {
    for (const name of ["chromium", "chromium-browser", "google-chrome"]) {
      const candidate = join(dir, name);
      try {
        if (statSync(candidate).isFile()) return candidate;
      } catch {}
    }
  }
  return undefined;
}

const COMPLETE = ".complete";

function isComplete(dir) {
  return existsSync(join(dir, COMPLETE));
}

/** Installed tools, or undefined when any is missing. */
export function installedTools(cache = cacheDir()) {
  const p = toolPaths(cache);
  const chromium = findChromium();
  if (!isComplete(p.nodeDir) || !isComplete(p.csDir) || !chromium) return undefined;
  return { ...p, chromium };
}

function log(message) {
  process.stderr.write(`vscode-test tools: ${message}\n`);
}

function run(command, args, options) {
  const result = spawnSync(command, args, { stdio: ["ignore", "inherit", "inherit"], ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} exited with ${result.status}`);
}

function npmInstall(dir, spec, env) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), '{ "name": "sentinel-vscode-test-tools", "private": true }\n');
  const started = Date.now();
  run("npm", ["install", "--no-audit", "--no-fund", "--no-save", "--loglevel=error", spec], {
    cwd: dir,
    env: { ...process.env, npm_config_audit: "false", npm_config_fund: "false", ...env },
  });
  log(`${spec} installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** A lock file so that two test runs never install into the same cache at once; stale after 15 min. */
function withLock(cache, fn) {
  mkdirSync(cache, { recursive: true });
  const lock = join(cache, ".install.lock");
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      closeSync(openSync(lock, "wx"));
      break;
    } catch (error) {
      if (error.code !== "EEXIST") throw error;
      let age = 0;
      try {
        age = Date.now() - statSync(lock).mtimeMs;
      } catch {}
      if (age > 15 * 60_000) rmSync(lock, { force: true });
      else if (Date.now() > deadline) throw new Error(`${lock} is held by another install`);
      else {
        log("waiting for another install to finish");
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000);
      }
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

/** Installs whatever is missing; returns the tool paths. Throws with a fix when Chromium or the Kerberos headers are missing. */
export function installTools(cache = cacheDir()) {
  const chromium = findChromium();
  if (!chromium) {
    throw new Error("Chromium not found: apt-get install chromium (or set CHROMIUM=/path/to/chromium)");
  }
  const p = toolPaths(cache);
  withLock(cache, () => {
    if (!isComplete(p.nodeDir)) {
      log(`installing ${nodePackage()}@${NODE_VERSION} into ${p.nodeDir}`);
      npmInstall(p.nodeDir, `${nodePackage()}@${NODE_VERSION}`, {});
      const version = spawnSync(p.node, ["--version"], { encoding: "utf8" }).stdout.trim();
      if (version !== `v${NODE_VERSION}`)
        throw new Error(`${p.node} --version gave ${JSON.stringify(version)}`);
      writeFileSync(join(p.nodeDir, COMPLETE), `${version}\n`);
    }
    if (!isComplete(p.csDir)) {
      // code-server builds kerberos from source (no prebuilt binary is reachable offline).
      if (process.platform === "linux" && !existsSync("/usr/include/gssapi/gssapi.h")) {
        throw new Error("code-server needs the Kerberos headers: apt-get install libkrb5-dev");
      }
      log(`installing code-server@${CODE_SERVER_VERSION} into ${p.csDir} (about 2 min)`);
      // Its postinstall insists on Node 24 and runs npm again: put Node 24 first on PATH, build against its headers.
      npmInstall(p.csDir, `code-server@${CODE_SERVER_VERSION}`, {
        PATH: `${p.nodeBinDir}${delimiter}${process.env.PATH}`,
        npm_config_nodedir: p.nodeHome,
      });
      // --config: without it code-server writes ~/.config/code-server/config.yaml.
      const out = spawnSync(
        p.node,
        [p.codeServerEntry, "--config", join(p.csDir, "config.yaml"), "--version"],
        { encoding: "utf8" },
      ).stdout;
      const version =
        out.split("\n").find((line) => line.startsWith(`${CODE_SERVER_VERSION} `)) ?? out.trim();
      if (!version.startsWith(CODE_SERVER_VERSION)) {
        throw new Error(`code-server --version gave ${JSON.stringify(version)}`);
      }
      writeFileSync(join(p.csDir, COMPLETE), `${version}\n`);
    }
  });
  return { ...p, chromium };
}

function describe(tools) {
  const chromiumVersion = spawnSync(tools.chromium, ["--version"], { encoding: "utf8" }).stdout?.trim();
  const cs = readFileSync(join(tools.csDir, COMPLETE), "utf8").trim().split(/\s+/);
  return `node ${readFileSync(join(tools.nodeDir, COMPLETE), "utf8").trim()}, code-server ${cs[0]} (VS Code ${cs.at(-1)}), ${chromiumVersion} — in ${tools.cache}`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    if (process.argv.includes("--check")) {
      const tools = installedTools();
      if (!tools) {
        const p = toolPaths();
        log(
          `missing: ${[
            !isComplete(p.nodeDir) && "node",
            !isComplete(p.csDir) && "code-server",
            !findChromium() && "chromium",
          ]
            .filter(Boolean)
            .join(", ")} (cache ${p.cache})`,
        );
        process.exit(1);
      }
      log(describe(tools));
    } else {
      const started = Date.now();
      const tools = installTools();
      log(`${describe(tools)} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    }
  } catch (error) {
    log(`FAILED: ${error.message}`);
    process.exit(1);
  }
}
