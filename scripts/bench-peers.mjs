#!/usr/bin/env node
// Installs the peers the benchmarks measure beside ours (bench-only: never in package.json or the lockfile) into
// a cache outside the repo, ~/.cache/sentinel-bench-peers/<pkg>@<version> ($SENTINEL_BENCH_PEERS_CACHE overrides
// the root). Idempotent: a ready marker is written last, so an interrupted install is redone on the next call.
// Usage: node scripts/bench-peers.mjs wetty vibetunnel
// Prints one JSON line per peer on stdout, {"peer","version","dir","main"} when ready, or
// {"peer","skipped":true,"reason"} when it cannot be installed (never a non-zero exit for that); progress on stderr.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";

const PEERS = {
  wetty: {
    version: "3.2.0",
    /** The entry point run with node (its bin). */
    main: "node_modules/wetty/build/main.js",
    /** Native modules npm leaves unbuilt (install scripts do not run): built here with node-gyp. */
    native: [
      {
        dir: "node_modules/node-pty",
        binary: "build/Release/pty.node",
        postInstall: "scripts/post-install.js",
      },
    ],
    /** Modules the bench loads from the cache (socket.io-client is one of wetty's own dependencies). */
    requires: ["node_modules/socket.io-client/package.json"],
    /** Packages whose versions must agree (the bench's client and wetty's server), major.minor. */
    matching: ["socket.io", "socket.io-client"],
  },
  vibetunnel: {
    version: "1.0.0-beta.15.1",
    // Its bin only require()s this bundle, which then does not start (it checks !module.parent): run it directly.
    main: "node_modules/vibetunnel/dist/vibetunnel-cli",
    // authenticate-pam's own install script compiles against PAM headers, absent here; vibetunnel's postinstall
    // extracts prebuilt node-pty and authenticate-pam binaries for this Node ABI instead.
    installArgs: ["--ignore-scripts"],
    afterInstall: [{ dir: "node_modules/vibetunnel", script: "scripts/postinstall-npm.js" }],
    native: [],
    requires: ["node_modules/vibetunnel/node-pty/build/Release/pty.node"],
    matching: [],
  },
};

const log = (message) => process.stderr.write(`[bench-peers] ${message}\n`);

function cacheRoot() {
  return process.env.SENTINEL_BENCH_PEERS_CACHE || join(homedir(), ".cache", "sentinel-bench-peers");
}

function run(command, args, cwd, extraEnv = {}) {
  const result = spawnSync(command, args, {
    cwd,
    env: { ...process.env, npm_config_nodedir: process.env.npm_config_nodedir || "/usr", ...extraEnv },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 600_000,
  });
  if (result.error) throw new Error(`${command} ${args.join(" ")}: ${result.error.message}`);
  if (result.status !== 0) {
    const tail = `${result.stdout}\n${result.stderr}`.trim().split("\n").slice(-15).join("\n");
    throw new Error(`${command} ${args.join(" ")} exited with ${result.status ?? result.signal}:\n${tail}`);
  }
}

/** node-gyp: the copy bundled with npm (works offline), else through npx. */
function nodeGyp() {
  const bundled = join(
    dirname(process.execPath),
    "..",
    "lib",
    "node_modules",
    "npm",
    "node_modules",
    "node-gyp",
  );
  const script = join(bundled, "bin", "node-gyp.js");
  return existsSync(script) ? [process.execPath, [script]] : ["npx", ["--yes", "node-gyp"]];
}

function install(name) {
  const peer = PEERS[name];
  if (!peer) throw new Error(`unknown peer ${name} (known: ${Object.keys(PEERS).join(", ")})`);
  const dir = join(cacheRoot(), `${name}@${peer.version}`);
  const marker = join(dir, ".ready");
  const ready = { peer: name, version: peer.version, dir, main: join(dir, peer.main) };
  if (existsSync(marker) && existsSync(ready.main)) return ready;
  if (process.platform !== "linux") throw new Error(`only set up for linux (this is ${process.platform})`);
  log(`installing ${name}@${peer.version} into ${dir}`);
  rmSync(marker, { force: true });
  mkdirSync(dir, { recursive: true });
  // A package.json of its own so npm never walks up to another project.
  if (!existsSync(join(dir, "package.json")))
    writeFileSync(join(dir, "package.json"), `${JSON.stringify({ name: "bench-peer", private: true })}\n`);
  const args = ["install", "--no-audit", "--no-fund", ...(peer.installArgs ?? [])];
  run("npm", [...args, "--prefix", dir, `${name}@${peer.version}`], dir);
  for (const step of peer.afterInstall ?? []) run(process.execPath, [step.script], join(dir, step.dir));
  for (const native of peer.native) {
    const moduleDir = join(dir, native.dir);
    if (existsSync(join(moduleDir, native.binary))) continue;
    log(`building ${native.dir} with node-gyp`);
    const [command, prefix] = nodeGyp();
    run(command, [...prefix, "rebuild"], moduleDir);
    if (native.postInstall) run(process.execPath, [native.postInstall], moduleDir);
    if (!existsSync(join(moduleDir, native.binary)))
      throw new Error(`${native.binary} missing after the build`);
  }
  for (const path of [peer.main, ...peer.requires]) {
    if (!existsSync(join(dir, path))) throw new Error(`${path} missing after the install`);
  }
  const versions = Object.fromEntries(
    [name, ...peer.matching].map((pkg) => [
      pkg,
      JSON.parse(readFileSync(join(dir, "node_modules", pkg, "package.json"), "utf8")).version,
    ]),
  );
  const minors = new Set(peer.matching.map((pkg) => versions[pkg].split(".").slice(0, 2).join(".")));
  if (minors.size > 1) throw new Error(`versions disagree: ${JSON.stringify(versions)}`);
  writeFileSync(marker, `${JSON.stringify(versions)}\n`);
  log(`${name} ready: ${JSON.stringify(versions)}`);
  return ready;
}

const names = process.argv.slice(2);
if (names.length === 0) {
  log("usage: node scripts/bench-peers.mjs <peer>... (peers: ${Object.keys(PEERS).join(", ")})");
  process.exit(2);
}
for (const name of names) {
  let line;
  try {
    line = install(name);
  } catch (error) {
    line = { peer: name, skipped: true, reason: String(error.message ?? error) };
  }
  process.stdout.write(`${JSON.stringify(line)}\n`);
}
