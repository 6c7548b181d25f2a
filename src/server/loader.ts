// dist/server.js: starts the server bundle (dist/server-main.js) through V8's code cache. Compiling the 2 MB
// bundle and the functions that run before the ready line is about a fifth of a cold start; V8 can keep that
// work in a cache file and skip it on the next start. The cache lives in the server's data directory
// (`<data-dir>/cache/`, beside config.toml and sentinel.db: nothing is written outside it), is keyed by
// the bundle and the runtime (V8 rejects a stale or foreign cache by itself, and we then rewrite it), and is
// only an optimisation: any failure to read or write it is ignored. See docs/decisions/0005-cold-start.md.
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { Script } from "node:vm";

// V8 flags are part of a code cache's identity, so the WASM setting (src/server/wasmTiering.ts) must already be
// in force when the cache is made and when it is used.
setFlagsFromString("--liftoff-only");
// The young generation stays at its initial size (two 1 MiB semi-spaces on 64-bit) instead of doubling up to
// 2 x 16 MiB whenever a scavenge finds many survivors, which start-up does: the idle server kept 8 MiB of new
// space it then never fills (about 4 MiB of RSS). Start-up makes no more scavenges with it, and a 32 MB drain
// neither took more server CPU nor a higher peak (docs/decisions/0020-idle-memory.md). Set here, before the
// bundle's first allocation, rather than on the command line: the extension, `npm start` and Node run by
// VS Code (ELECTRON_RUN_AS_NODE) all start this file as it is.
setFlagsFromString("--semi-space-growth-factor=1");

const bundlePath = join(__dirname, "server-main.js");
// The bundle's SHA-256, written in by scripts/build.mjs (undefined in its watch mode: then hashed here).
declare const __SENTINEL_BUNDLE_SHA256__: string | undefined;
run();

/**
 * Compiles and runs the bundle. Its text (written by scripts/build.mjs as the body of a CommonJS module function,
 * in ASCII) is compiled as read, with no wrapped copy made, and neither it nor the cache's bytes stay referenced
 * once compiled: V8 keeps the one copy its functions need.
 */
function run(): void {
  const source = readFileSync(bundlePath, "latin1");
  const cacheFile = cachePath(source);
  let cachedData: Buffer | undefined;
  try {
    if (cacheFile) cachedData = readFileSync(cacheFile);
  } catch {
    // No cache yet.
  }
  const script = new Script(source, { filename: bundlePath, ...(cachedData ? { cachedData } : {}) });
  const bundleModule = { exports: {} };
  script.runInThisContext()(bundleModule.exports, require, bundleModule, bundlePath, __dirname);
  if (cacheFile && (!cachedData || script.cachedDataRejected)) {
    // After the start-up code has run, so the functions it compiled are in the cache too.
    setTimeout(() => writeCache(cacheFile, script), 0).unref();
  }
}

/**
 * The data directory as the server will read it (src/server/config.ts, defaultDataDir): `--data-dir DIR` or
 * `--data-dir=DIR`, else SENTINEL_DATA_DIR, else ~/.sentinel. Read from argv here because the loader runs
 * before the command line is parsed; a wrong guess only misses the cache.
 */
function dataDir(argv: readonly string[]): string {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") break;
    if (arg === "--data-dir" && argv[i + 1]?.trim()) return argv[i + 1]!.trim();
    if (arg.startsWith("--data-dir=") && arg.slice("--data-dir=".length).trim())
      return arg.slice("--data-dir=".length).trim();
  }
  if (process.env.SENTINEL_DATA_DIR?.trim()) return process.env.SENTINEL_DATA_DIR.trim();
  let home = process.env.HOME?.trim() ?? "";
  try {
    home ||= homedir();
  } catch {
    // No home: the server uses the temp dir too.
  }
  return home ? join(home, ".sentinel") : join(tmpdir(), "sentinel");
}

function cachePath(text: string): string | undefined {
  if (process.env.SENTINEL_CODE_CACHE === "0") return undefined;
  // V8 checks a cache against the source's length only: the key must tell two builds apart.
  const bundleHash =
    typeof __SENTINEL_BUNDLE_SHA256__ === "string"
      ? __SENTINEL_BUNDLE_SHA256__
      : createHash("sha256").update(text).digest("hex");
  const key = createHash("sha256")
    .update(`${process.version}\0${process.arch}\0${process.versions.v8}\0${bundleHash}`)
    .digest("hex")
    .slice(0, 16);
  return join(dataDir(process.argv.slice(2)), "cache", `server-${key}.v8cache`);
}

function writeCache(file: string, compiled: Script): void {
  try {
    const dir = dirname(file);
    // Not recursive: the server has made the data dir by now (loadConfig runs before its first await), and a
    // data dir removed meanwhile (a test's temp dir) must not be made again.
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, compiled.createCachedData(), { mode: 0o600 });
    renameSync(temp, file);
    // Caches of other builds or runtimes are dead weight (~1 MB each).
    for (const name of readdirSync(dir)) {
      if (/^server-[0-9a-f]{16}\.v8cache$/.test(name) && name !== basename(file))
        rmSync(join(dir, name), { force: true });
    }
  } catch {
    // A read-only home or a full disk only costs the next start its speed-up.
  }
}
