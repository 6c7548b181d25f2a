// dist/server.js: starts the server bundle (dist/server-main.js) through V8's code cache. Compiling the 2 MB
// bundle and the functions that run before the ready line is about a fifth of a cold start; V8 can keep that
// work in a cache file and skip it on the next start. The cache lives in the user's cache directory, is keyed by
// the bundle and the runtime (V8 rejects a stale or foreign cache by itself, and we then rewrite it), and is
// only an optimisation: any failure to read or write it is ignored. See docs/decisions/0005-cold-start.md.
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { basename, dirname, join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { Script } from "node:vm";

// V8 flags are part of a code cache's identity, so the WASM setting (src/server/wasmTiering.ts) must already be
// in force when the cache is made and when it is used.
setFlagsFromString("--liftoff-only");

const bundlePath = join(__dirname, "server-main.js");
const source = readFileSync(bundlePath, "utf8");
const cacheFile = cachePath(source);
let cachedData: Buffer | undefined;
try {
  if (cacheFile) cachedData = readFileSync(cacheFile);
} catch {
  // No cache yet.
}

const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
  filename: bundlePath,
  ...(cachedData ? { cachedData } : {}),
});
const bundleModule = { exports: {} };
script.runInThisContext()(bundleModule.exports, require, bundleModule, bundlePath, __dirname);

if (cacheFile && (!cachedData || script.cachedDataRejected)) {
  // After the start-up code has run, so the functions it compiled are in the cache too.
  setTimeout(() => writeCache(cacheFile, script), 0).unref();
}

function cachePath(text: string): string | undefined {
  if (process.env.SENTINEL_CODE_CACHE === "0") return undefined;
  const base = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  const key = createHash("sha256")
    .update(`${process.version}\0${process.arch}\0${process.versions.v8}\0`)
    .update(text)
    .digest("hex")
    .slice(0, 16);
  return join(base, "sentinel-vscode", `server-${key}.v8cache`);
}

function writeCache(file: string, compiled: Script): void {
  try {
    const dir = dirname(file);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
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
