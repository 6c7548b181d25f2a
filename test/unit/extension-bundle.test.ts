// The extension bundle gives other extensions nothing to call: `activate()` returns the test API only to the test
// host of a test build, and the production build has no test hooks at all. Both bundles are built by
// scripts/build.mjs into a temp dir (dist/ is left alone), then loaded as VS Code would load them, against a
// stand-in `vscode` module, and activated in each mode. No server is started (autoStart off, no URL).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import Module from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";

const repo = join(__dirname, "..", "..");

/**
 * A stand-in for the `vscode` module: every property is a callable, constructible, awaitable stub (awaiting one
 * gives undefined), except the settings, which come from `settings` (anything else: the default asked for).
 */
function fakeVscode(settings: Record<string, unknown>): unknown {
  const cache = new Map<string, unknown>();
  const stub = (path: string): unknown => {
    const cached = cache.get(path);
    if (cached) return cached;
    // A function declaration: constructible and callable (an arrow function cannot be `new`ed).
    function target() {}
    const proxy = new Proxy(target, {
      get(_t, key) {
        if (key === "then")
          return (resolve?: (v: unknown) => unknown, reject?: (e: unknown) => unknown) =>
            Promise.resolve(undefined).then(resolve, reject);
        if (key === Symbol.toPrimitive) return () => path;
        if (typeof key === "symbol") return undefined;
        if (path === "workspace" && key === "getConfiguration")
          return (section?: string) => ({
            get: (name: string, fallback?: unknown) => {
              const full = section ? `${section}.${name}` : name;
              return full in settings ? settings[full] : fallback;
            },
            has: () => false,
            inspect: () => undefined,
            update: () => Promise.resolve(),
          });
        return stub(`${path}.${String(key)}`);
      },
      apply: () => stub(`${path}()`),
      construct: () => stub(`new ${path}`) as object,
      set: () => true,
    });
    cache.set(path, proxy);
    return proxy;
  };
  // A namespace object with the real API's top-level names as own properties (esbuild's CommonJS interop copies
  // those), taken from @types/vscode.
  const names = readFileSync(join(repo, "node_modules/@types/vscode/index.d.ts"), "utf8").matchAll(
    /^(?:\t| {4})export (?:namespace|class|enum|const|let|function) (\w+)/gm,
  );
  const api: Record<string, unknown> = {};
  for (const [, name] of names) api[name!] = stub(name!);
  return api;
}

type Activate = (context: unknown) => unknown;
interface Bundle {
  activate: Activate;
  deactivate(): Promise<void>;
}

/** Loads a bundle the way the extension host does (CommonJS, `vscode` provided by the host). */
function loadBundle(file: string): Bundle {
  const fake = fakeVscode({ "sentinel.autoStart": false, "sentinel.server.url": "" });
  const internals = Module as unknown as {
    _load(request: string, parent: unknown, isMain: boolean): unknown;
  };
  const original = internals._load;
  internals._load = function (request, parent, isMain) {
    if (request === "vscode") return fake;
    return original.call(this, request, parent, isMain);
  };
  try {
    delete require.cache[file];
    return require(file) as Bundle;
  } finally {
    internals._load = original;
  }
}

/** The ExtensionMode values of VS Code's API. */
const Mode = { Production: 1, Development: 2, Test: 3 } as const;

function context(dir: string, extensionMode: number): unknown {
  const secrets = new Map<string, string>();
  return {
    extensionMode,
    subscriptions: [],
    extensionUri: { fsPath: repo, scheme: "file", path: repo },
    extensionPath: repo,
    globalStorageUri: { fsPath: join(dir, "global"), scheme: "file", path: join(dir, "global") },
    storageUri: undefined,
    extension: { id: "sentinel.sentinel-vscode", packageJSON: { version: "0.0.0-test" } },
    asAbsolutePath: (p: string) => join(repo, p),
    secrets: {
      get: async (k: string) => secrets.get(k),
      store: async (k: string, v: string) => void secrets.set(k, v),
      delete: async (k: string) => void secrets.delete(k),
      onDidChange: () => ({ dispose() {} }),
    },
    globalState: { get: () => undefined, update: async () => undefined, keys: () => [] },
    workspaceState: { get: () => undefined, update: async () => undefined, keys: () => [] },
  };
}

/** What `activate()` returned, as another extension would see it: the names of everything callable in it. */
function callables(value: unknown): string[] {
  if (typeof value === "function") return ["(itself)"];
  if (!value || typeof value !== "object") return [];
  const names = new Set<string>();
  for (let o: object | null = value; o && o !== Object.prototype; o = Object.getPrototypeOf(o))
    for (const key of Object.getOwnPropertyNames(o))
      if (key !== "constructor" && typeof (value as Record<string, unknown>)[key] === "function")
        names.add(key);
  return [...names];
}

const FLAG = "SENTINEL_VSCODE_TEST";
let dir: string;
let dev: string;
let production: string;

function build(outdir: string, ...flags: string[]): string {
  const result = spawnSync(
    process.execPath,
    [join(repo, "scripts", "build.mjs"), ...flags, "--outdir", outdir],
    {
      cwd: repo,
      encoding: "utf8",
    },
  );
  assert.equal(result.status, 0, `build ${flags.join(" ")}: ${result.stderr}`);
  return join(outdir, "extension.js");
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), "sentinel-ext-bundle-"));
  dev = build(join(dir, "dev"));
  production = build(join(dir, "production"), "--production");
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function activateIn(file: string, mode: number, flag: string | undefined): Promise<unknown> {
  const saved = process.env[FLAG];
  if (flag === undefined) delete process.env[FLAG];
  else process.env[FLAG] = flag;
  const bundle = loadBundle(file);
  try {
    return bundle.activate(context(dir, mode));
  } finally {
    await bundle.deactivate();
    if (saved === undefined) delete process.env[FLAG];
    else process.env[FLAG] = saved;
  }
}

describe("extension bundle", () => {
  test("the production build carries no test hooks", () => {
    const text = readFileSync(production, "utf8");
    for (const word of [
      "setConfirmAnswer",
      "apiRequest",
      "createTestApi",
      "confirmations",
      FLAG,
      "treeSnapshot",
      "chooseNotification",
      "pendingNotifications",
      // The test API's timings (src/extension/metrics.ts): the log has them, the Container does not keep them.
      "attachToFirstScreenMs",
      "firstTreeRenderMs",
      "serverReadyMs",
    ])
      assert.ok(!text.includes(word), `production bundle contains ${word}`);
    // The same words are in the test build: the check above looks for something that is there to find.
    const devText = readFileSync(dev, "utf8");
    for (const word of ["setConfirmAnswer", "apiRequest", "createTestApi", FLAG, "attachToFirstScreenMs"])
      assert.ok(devText.includes(word), `test build lacks ${word}`);
  });

  test("the extension bundle carries no schema library (src/protocol's types only, not its TypeBox schemas)", () => {
    // The test build's source map names every module in the bundle.
    const map = JSON.parse(readFileSync(`${dev}.map`, "utf8")) as { sources: string[] };
    assert.ok(
      map.sources.some((s) => s.includes("src/protocol/")),
      "the bundle has src/protocol modules (the check below looks where they would be)",
    );
    const schemas = map.sources.filter((s) => /node_modules\/typebox\/|src\/protocol\/schemas\//.test(s));
    assert.deepEqual(schemas, [], "schema modules in dist/extension.js");
  });

  test("the production build activated even in a test host with the flag exports nothing", async () => {
    assert.equal(await activateIn(production, Mode.Test, "1"), undefined);
    assert.equal(await activateIn(production, Mode.Production, "1"), undefined);
  });

  test("the test build (npm run build) exports nothing callable without the test host's flag", async () => {
    const cases: Array<[string, number, string | undefined]> = [
      ["installed, no flag", Mode.Production, undefined],
      ["installed, flag set by someone", Mode.Production, "1"],
      ["development host with the flag", Mode.Development, "1"],
      ["test run without the flag", Mode.Test, undefined],
      ["test run, flag not 1", Mode.Test, "true"],
    ];
    for (const [what, mode, flag] of cases) {
      const api = await activateIn(dev, mode, flag);
      assert.equal(api, undefined, `${what}: activate() returned ${typeof api}`);
      assert.deepEqual(callables(api), [], what);
    }
  });

  test("the test host (ExtensionMode.Test and the flag) gets the test API, answers included", async () => {
    // Shows that this harness sees an API when there is one: the undefined results above are not vacuous.
    const api = await activateIn(dev, Mode.Test, "1");
    const names = callables(api);
    for (const fn of ["state", "serverInfo", "metrics", "setConfirmAnswer", "confirmations", "apiRequest"])
      assert.ok(names.includes(fn), `test API lacks ${fn}: ${names.join(", ")}`);
    assert.equal((api as { state(): string }).state(), "stopped");
  });
});

describe("server bundle", () => {
  // Built by the same two builds as the extension bundles above.
  const serverMain = (extensionJs: string) =>
    readFileSync(join(dirname(extensionJs), "server-main.js"), "utf8");

  test("the production server bundle has no bench-only route; the development build (tests, npm run bench) has it", () => {
    for (const word of ["/api/bench/events", "SENTINEL_BENCH_EVENTS", "bench.tick"]) {
      assert.ok(!serverMain(production).includes(word), `production server bundle contains ${word}`);
      assert.ok(serverMain(dev).includes(word), `development server bundle lacks ${word}`);
    }
  });
});
