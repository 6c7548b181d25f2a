// Bundles the companion server (and, once it exists, the extension) with esbuild.
// Usage: node scripts/build.mjs [--production] [--watch] [--outdir DIR]
// --production: minified, no source maps, without the extension's test hooks (`__SENTINEL_TEST__` false) and
// without the server's bench-only routes (`__SENTINEL_BENCH__` false).
// --outdir: build into DIR instead of dist/ (the tests check a production bundle without touching dist/).
// --server-entry FILE: bundle FILE as the server instead of src/server/cli.ts, with everything else the same (the
// memory bench builds bench/stackFloor.ts so, into a directory of its own).
import { createHash } from "node:crypto";
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const production = process.argv.includes("--production");
const watch = process.argv.includes("--watch");
const outdirAt = process.argv.indexOf("--outdir");
const serverEntryAt = process.argv.indexOf("--server-entry");
const serverEntry =
  serverEntryAt > 0 ? resolve(process.argv[serverEntryAt + 1] ?? "") : join(root, "src/server/cli.ts");
// Another server bundle never replaces dist/'s.
if (serverEntryAt > 0 && outdirAt < 0) throw new Error("--server-entry needs --outdir");
const pkg = JSON.parse(
  await import("node:fs").then((fs) => fs.readFileSync(join(root, "package.json"), "utf8")),
);
const dist = outdirAt > 0 ? resolve(process.argv[outdirAt + 1] ?? "dist") : join(root, "dist");
mkdirSync(dist, { recursive: true });
// dist/ holds CommonJS bundles whatever the root package says.
writeFileSync(join(dist, "package.json"), '{ "type": "commonjs" }\n');
// The WASM SQLite engine locates its .wasm next to the script that loads it.
copyFileSync(
  join(root, "node_modules/node-sqlite3-wasm/dist/node-sqlite3-wasm.wasm"),
  join(dist, "node-sqlite3-wasm.wasm"),
);

// node-pty stays outside the bundle (native code, loaded by path). A copy of it in dist/node_modules makes dist/
// self-contained (the server bundle resolves it there first), which is what the VSIX ships: the JS package plus
// the prebuilt platform packages npm installed (@lydell/node-pty-<platform>-<arch>, N-API, any Node ABI).
// `npm run package` (scripts/package.mjs) names one platform instead: SENTINEL_PTY_TARGET (e.g. darwin-arm64) and
// the folder of its prebuilt package, SENTINEL_PTY_PREBUILD (installed, or fetched from the registry).
const ptyFrom = join(root, "node_modules/@lydell");
const ptyTo = join(dist, "node_modules/@lydell");
rmSync(ptyTo, { recursive: true, force: true });
const ptyTarget = process.env.SENTINEL_PTY_TARGET;
const ptySources = ptyTarget
  ? [
      ["node-pty", join(ptyFrom, "node-pty")],
      [`node-pty-${ptyTarget}`, process.env.SENTINEL_PTY_PREBUILD ?? join(ptyFrom, `node-pty-${ptyTarget}`)],
    ]
  : readdirSync(ptyFrom)
      .filter((n) => n === "node-pty" || n.startsWith("node-pty-"))
      .map((n) => [n, join(ptyFrom, n)]);
for (const [name, from] of ptySources) {
  cpSync(from, join(ptyTo, name), {
    recursive: true,
    filter: (src) => !/\.(d\.ts|md|map)$/.test(src),
  });
}

// The cast player's webview loads the asciinema player from media/vendor (no CDN): its bundle, stylesheet and
// licence are copied from the npm package at every build, so the VSIX ships them (.vscodeignore keeps media/**).
const playerFrom = join(root, "node_modules/asciinema-player");
const playerTo = join(root, "media/vendor/asciinema-player");
mkdirSync(playerTo, { recursive: true });
for (const [from, to] of [
  ["dist/bundle/asciinema-player.min.js", "asciinema-player.min.js"],
  ["dist/bundle/asciinema-player.css", "asciinema-player.css"],
  ["LICENSE", "LICENSE"],
]) {
  copyFileSync(join(playerFrom, from), join(playerTo, to));
}

// Fastify loads Ajv and fast-json-stringify only when no schema compilers are given; the server gives its own
// (src/server/http/schemaCompilers.ts), so they are left out of the bundle: ~570 KiB less to parse at start-up.
const unusedSchemaCompilers = {
  name: "unused-schema-compilers",
  setup(build) {
    build.onResolve({ filter: /^@fastify\/(ajv-compiler|fast-json-stringify-compiler)$/ }, (args) =>
      args.importer.includes("fastify") && !args.importer.includes("type-provider")
        ? { path: args.path, namespace: "unused" }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "unused" }, (args) => ({
      contents: `throw new Error(${JSON.stringify(`${args.path} is not bundled: the server passes its own schema compilers`)});`,
      loader: "js",
    }));
  },
};

// fastify and ws load `http2`/`https` (and with it `tls`) at start-up for servers and clients we never make
// (the server speaks plain HTTP/1.1 on loopback or behind a proxy); loading them when first touched saves
// ~40 ms of cold start. ws also loads `tls` itself (for its client) and `zlib` (for permessage-deflate), both
// used only inside functions: seven builtins fewer at start-up. Only these importers are affected, and the
// modules still load on first use.
const lazyBuiltins = {
  name: "lazy-builtins",
  setup(build) {
    build.onResolve({ filter: /^(node:)?(http2|https|tls|zlib)$/ }, (args) =>
      /node_modules[\\/](fastify|ws)[\\/]/.test(args.importer)
        ? { path: args.path.replace(/^node:/, ""), namespace: "lazy-builtin" }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "lazy-builtin" }, (args) => ({
      contents: `let m; const load = () => (m ??= require("node:${args.path}"));
module.exports = new Proxy({}, { get: (_, key) => load()[key], has: (_, key) => key in load() });`,
      loader: "js",
    }));
  },
};

// @fastify/rate-limit loads ip-address (~95 KiB, several ms to evaluate at start-up) for one class, Address6, which
// it constructs only for a client with an IPv6 address. The rate limiter gets a stand-in whose Address6 loads the
// real module on its first construction (`new` of a function that returns an object yields that object).
const lazyIpAddress = {
  name: "lazy-ip-address",
  setup(build) {
    build.onResolve({ filter: /^ip-address$/ }, (args) =>
      args.namespace === "file" && /node_modules[\\/]@fastify[\\/]rate-limit[\\/]/.test(args.importer)
        ? { path: "ip-address", namespace: "lazy-ip-address" }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "lazy-ip-address" }, () => ({
      contents: `let m; const load = () => (m ??= require("ip-address"));
module.exports = { Address6: function Address6(...args) { return new (load().Address6)(...args); } };`,
      loader: "js",
      resolveDir: join(root, "node_modules/@fastify/rate-limit"),
    }));
  },
};

// find-my-way (fastify's router) compiles code with `new Function` as routes register: a prefix matcher per static
// node (269 for our routes), a params builder and a constraints matcher per route (188 each). Together the largest
// item of a start-up profile that is ours to avoid. Patched, each is a stand-in that compiles the real function
// on its first call, replaces itself with it and calls it: the same code from the first request on (a node's
// matcher on the first request that reaches it; the constraints matcher only for a request with constraints,
// which our routes do not declare). The build fails if find-my-way's code no longer reads as the patch expects.
const FIND_MY_WAY_PATCHES = {
  "lib/node.js": [
    [
      "this.matchPrefix = kind === NODE_TYPES.STATIC ? compilePrefixMatch(prefix) : null",
      "this.matchPrefix = kind === NODE_TYPES.STATIC ? compileOnFirstMatch(prefix) : null",
    ],
    [
      "this.matchPrefix = compilePrefixMatch(childPrefix)",
      "this.matchPrefix = compileOnFirstMatch(childPrefix)",
    ],
    [
      "function compilePrefixMatch (prefix) {",
      `function compileOnFirstMatch (prefix) {
  if (prefix.length === 1) return matchSingleCharPrefix
  return function matchFirst (path, i) {
    this.matchPrefix = compilePrefixMatch(prefix)
    return this.matchPrefix(path, i)
  }
}

function compilePrefixMatch (prefix) {`,
    ],
  ],
  "lib/handler-storage.js": [
    [
      "_createParamsObject: this._compileCreateParamsObject(params)",
      "_createParamsObject: createParamsOnFirstCall(this, params)",
    ],
    [
      "this._compileGetHandlerMatchingConstraints(constrainer, constraints)",
      `this._getHandlerMatchingConstraints = function compileOnFirstLookup (derivedConstraints) {
        this._compileGetHandlerMatchingConstraints(constrainer)
        return this._getHandlerMatchingConstraints(derivedConstraints)
      }`,
    ],
    [
      "class HandlerStorage {",
      `function createParamsOnFirstCall (storage, params) {
  return function createParamsFirst (param0, param1, param2, param3, extraParams) {
    this._createParamsObject = storage._compileCreateParamsObject(params)
    return this._createParamsObject(param0, param1, param2, param3, extraParams)
  }
}

class HandlerStorage {`,
    ],
  ],
};
const lazyRouterCompiles = {
  name: "lazy-router-compiles",
  setup(build) {
    build.onLoad(
      { filter: /node_modules[\\/]find-my-way[\\/]lib[\\/](node|handler-storage)\.js$/ },
      (args) => {
        const file = args.path.replace(/\\/g, "/").replace(/^.*\/find-my-way\//, "");
        let text = readFileSync(args.path, "utf8");
        for (const [from, to] of FIND_MY_WAY_PATCHES[file] ?? []) {
          if (text.split(from).length !== 2) {
            throw new Error(
              `${args.path}: find-my-way changed; update lazy-router-compiles in scripts/build.mjs`,
            );
          }
          text = text.replace(from, to);
        }
        return { contents: text, loader: "js" };
      },
    );
  },
};

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  sourcemap: production ? false : "linked",
  minify: production,
  logLevel: "warning",
  define: {
    __SENTINEL_VERSION__: JSON.stringify(pkg.version),
    // The extension's test hooks (src/extension/testApi.ts): compiled out of the production build.
    __SENTINEL_TEST__: production ? "false" : "true",
    // The server's bench-only routes (src/server/http/benchRoutes.ts, SENTINEL_BENCH_EVENTS=1): in the
    // development build that the tests and `npm run bench` run, not in the production bundle.
    __SENTINEL_BENCH__: production ? "false" : "true",
  },
  // Native code stays in node_modules: N-API prebuilds are loaded by path at run time.
  external: ["@lydell/node-pty", "vscode"],
  plugins: [unusedSchemaCompilers, lazyBuiltins, lazyIpAddress, lazyRouterCompiles],
};

// The parameters of the function the server bundle is the body of (the CommonJS module wrapper's).
const SERVER_MODULE_PARAMS = "exports, require, module, __filename, __dirname";
const serverMain = join(dist, "server-main.js");
const entries = [
  // The bundle is the body of a CommonJS module function, written as such (banner and footer) so the loader
  // compiles the file's text as it is instead of a wrapped copy (a second 1-2.5 MB string on the heap until a
  // full GC). See src/server/loader.ts.
  {
    entryPoints: [serverEntry],
    outfile: serverMain,
    banner: { js: `(function (${SERVER_MODULE_PARAMS}) {` },
    footer: { js: "})" },
    asciiOnly: true,
  },
  // dist/server.js is a small loader that runs the bundle through V8's code cache (src/server/loader.ts). Built
  // after the bundle, so it carries the bundle's SHA-256 (the code cache's key) instead of hashing 1-2.7 MB of
  // text at every start; in watch mode the bundle changes without it, so the loader hashes the text itself.
  {
    entryPoints: [join(root, "src/server/loader.ts")],
    outfile: join(dist, "server.js"),
    bundleKey: !watch,
  },
];
if (serverEntryAt < 0 && existsSync(join(root, "src/extension/extension.ts"))) {
  entries.push({
    entryPoints: [join(root, "src/extension/extension.ts")],
    outfile: join(dist, "extension.js"),
  });
}

// V8 keeps a script's source for as long as its functions live, one byte per character when it is all ASCII and
// two otherwise. esbuild escapes non-ASCII in string literals, not in comments and regular expressions: those
// few characters become \u escapes (the same text to JavaScript), so the server's 1-2.5 MB source takes one byte
// per character.
const asciiOnly = {
  name: "ascii-only",
  setup(build) {
    build.onEnd((result) => {
      if (result.errors.length) return;
      const file = build.initialOptions.outfile;
      const text = readFileSync(file, "utf8");
      const ascii = text.replace(
        /[^\x00-\x7f]/g,
        (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
      );
      if (ascii !== text) writeFileSync(file, ascii);
    });
  },
};

for (const { asciiOnly: ascii, bundleKey, ...entry } of entries) {
  const options = { ...common, ...entry };
  if (ascii) options.plugins = [...common.plugins, asciiOnly];
  if (bundleKey) {
    const sha256 = createHash("sha256").update(readFileSync(serverMain)).digest("hex");
    options.define = { ...common.define, __SENTINEL_BUNDLE_SHA256__: JSON.stringify(sha256) };
  }
  if (watch) {
    const ctx = await esbuild.context(options);
    await ctx.watch();
  } else {
    await esbuild.build(options);
  }
}
