// A small route fuzzer (issue 14): a few hundred requests, drawn by a seeded PRNG so a failure reproduces
// (`SENTINEL_FUZZ_SEED=<n>`; `SENTINEL_FUZZ_ROUNDS` sets the rounds), over every route of fastify's route table,
// authenticated, with malformed JSON, wrong types, control characters, names beginning with "-", 100 KB and
// Unicode strings, and path parameters such as `%00`, `..` and `%2F`. Against the real server and a real tmux
// on a private socket (`exit-empty off`, plus a session no request can name, so tmux outlives whatever the
// requests kill). It asserts: no 5xx except the documented 503s of features this host lacks, every error answer
// in the spec's `{error:{code,message}}` envelope (the WebSocket paths' plain-text 400 excepted, spec §2), and
// afterwards the server still answers and the private tmux server still runs.
//
// Left out, because they would do real things outside the temp dirs with a valid-looking request:
// - `POST /api/ops/runbooks/:runbook/run`, `POST /api/ops/schedules/:schedule/trigger`, and `POST`/`PUT` of
//   schedules (a valid one fires on its own): runbooks run shell commands. Creating and editing runbooks is
//   fuzzed (nothing runs them).
// - the service actions (`POST /api/ops/services/unit/action`, `…/:service/action`): on a host with systemd
//   they start and stop real units.
// - `PATCH /api/ops/config`: it rewrites the server's own config file, token included; the fuzzer would lock
//   itself out. Its validation is covered by the ops tests.
// The server runs with HOME, its data dir and the tmux socket in temp dirs.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type RouteInfo, routeTable } from "./routeTable.js";
import { type ServerHandle, startServer } from "./serverFixture.js";
import { startTmux, type TmuxFixture } from "./tmuxFixture.js";

const SEED = Number(process.env.SENTINEL_FUZZ_SEED ?? 14);
const ROUNDS = Number(process.env.SENTINEL_FUZZ_ROUNDS ?? 5);

const EXCLUDED = new Set([
  "POST /api/ops/runbooks/:runbook/run",
  "POST /api/ops/schedules/:schedule/trigger",
  "POST /api/ops/schedules",
  "PUT /api/ops/schedules/:schedule",
  "POST /api/ops/services/unit/action",
  "POST /api/ops/services/:service/action",
  "PATCH /api/ops/config",
]);

/** 503 codes of features a host may lack or a config may switch off (spec §0.7). */
const DOCUMENTED_503 = new Set([
  "OPS_UNAVAILABLE",
  "RECOVERY_DISABLED",
  "CONFIG_UNAVAILABLE",
  "UNAVAILABLE",
  "TMUX_NOT_FOUND",
]);

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let tmux: TmuxFixture;
let server: ServerHandle;
let home: string;
let routes: RouteInfo[];

before(async () => {
  routes = (await routeTable()).filter((r) => !EXCLUDED.has(`${r.method} ${r.url}`));
  home = mkdtempSync(join(tmpdir(), "sentinel-fuzz-home-"));
  tmux = await startTmux();
  await tmux.newSession("keeper");
  await tmux.tmux("set-option", "-s", "exit-empty", "off");
  await tmux.newSession("fuzz");
  server = await startServer({
    tmuxSocket: tmux.socket,
    env: { HOME: home, SHELL: "/bin/sh", SENTINEL_RATE_LIMIT_PER_MINUTE: "100000" },
  });
});

after(async () => {
  await server?.stop();
  await tmux?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

const HUGE = "x".repeat(100 * 1024);
const UNICODE = "✎ ünïcødé 🚀 中文 \u202e\u200b";
const STRINGS = [
  "",
  " ",
  "fuzz",
  "-t",
  "-kill-server",
  "--",
  "-",
  "a;",
  ";",
  "\\;",
  "#{pane_id}",
  "a\u0000b",
  "\u0007\u001b[31m",
  "\r\n",
  "\t",
  "\u009b",
  "\ud800",
  UNICODE,
  HUGE,
  "../../etc/passwd",
  "/",
  "/tmp",
  "$(touch /tmp/sentinel-fuzz-pwned)",
  "%00",
  "%",
  "=fuzz",
  "fuzz:0",
  "%0",
  "%999999",
  "horizontal",
  "vertical",
  "safe",
  "full",
  "rename",
  "replace",
  "block",
  "confirm",
  "warn",
  "session",
  "window",
  "pane",
  "session.kill",
  "rm -rf /",
  "(a+)+$",
  "[",
  "(?<x",
  "a{99999}",
  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!",
  "1",
  "null",
];
const FLAGS = ["-t", "-kill-server", "--", "-", "-n x", "-d", "-T", "-F#{pane_pid}", "-x;", "-"];
const CONTROL = [
  "a\u0000b",
  "\u0000",
  "bell\u0007",
  "\u001b]0;t\u0007",
  "x\ry",
  "\t",
  "c1\u009b",
  "del\u007f",
];
const NUMBERS = [0, 1, -1, 0.5, 2 ** 53 + 2, -(2 ** 63), 1e308, 65536, 99999999];
const FIELDS = [
  "name",
  "newName",
  "cwd",
  "index",
  "paneId",
  "title",
  "direction",
  "icon",
  "session",
  "scope",
  "windowIndex",
  "label",
  "action",
  "command",
  "sessionName",
  "pattern",
  "enabled",
  "priority",
  "mode",
  "conflictPolicy",
  "targetSession",
  "id",
  "steps",
  "timeoutSeconds",
  "runbookId",
  "content",
  "resource",
  "unit",
  "manager",
  "refreshToken",
  "sessionId",
  "sub",
  "ttlSeconds",
  "cols",
  "rows",
  "maxBytes",
  "maxDurationSeconds",
  "captureInput",
  "description",
  "type",
  "check",
  "clientId",
  "__proto__",
  "constructor",
];
const PARAMS = [
  "fuzz",
  "keeper-not",
  "-t",
  "-kill-server",
  "%00",
  "a%00b",
  "..",
  "%2e%2e",
  "..%2F..%2Fetc",
  "a%2Fb",
  "%",
  "%ff",
  "%E2%9C%8E",
  encodeURIComponent(UNICODE),
  "x".repeat(3000),
  "0",
  "-1",
  "1",
  "999999999999999999999999",
  "%25",
  "%0",
  "%250",
  "=fuzz",
  "fuzz:0",
  "%20",
  "null",
];
const QUERIES = [
  "",
  "?confirm=1",
  "?confirm=true",
  "?limit=-1",
  "?limit=abc",
  "?limit=99999999999",
  "?since=-5&epoch=x",
  "?path=%00",
  "?path=..%2F..",
  "?session=-t",
  "?session=%00",
  "?unit=-x&scope=%00&manager=zzz",
  "?service=..",
  "?status=%E2%9C%8E&runbookId=-t",
  "?a=1&a=2&a=3",
  `?q=${"y".repeat(4000)}`,
];
const MALFORMED = [
  "{",
  '{"name":',
  "[1,2",
  "nul",
  '"unterminated',
  "{}{}",
  '{"a":1} trailing',
  "\u0000",
  "{'single':'quotes'}",
  '{"name":"\\ud800"}',
  "1e999999",
  '{"a":{"b":{"c":{"d":{"e":{"f":[[[[[[[[[[[]]]]]]]]]]]}}}}}}',
  `{"name":"${HUGE}"}`,
  "\ufeff{}",
];
const CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "text/plain",
  "application/x-www-form-urlencoded",
  "application/json; charset=utf-16",
  undefined,
];

interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  const?: unknown;
}

function generator(random: () => number, paneIds: string[]) {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const value = (depth: number): unknown => {
    const r = random();
    if (r < 0.45) return pick(STRINGS);
    if (r < 0.65) return pick(NUMBERS);
    if (r < 0.72) return random() < 0.5;
    if (r < 0.78) return null;
    if (depth > 1) return pick(STRINGS);
    if (r < 0.88) return Array.from({ length: Math.floor(random() * 3) }, () => value(depth + 1));
    return object(depth + 1);
  };
  const object = (depth: number): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    const n = 1 + Math.floor(random() * 4);
    for (let i = 0; i < n; i++) out[pick(FIELDS)] = value(depth);
    return out;
  };
  /** A value of the schema's shape (mostly): what gets past the schema to the handler's checks and tmux. */
  const shaped = (schema: JsonSchema, depth: number): unknown => {
    if (random() < 0.1) return value(depth + 1);
    if (schema.anyOf?.length) return shaped(pick(schema.anyOf), depth);
    if (schema.const !== undefined) return schema.const;
    switch (schema.type) {
      case "object": {
        const out: Record<string, unknown> = {};
        for (const [key, sub] of Object.entries(schema.properties ?? {})) {
          if (random() < 0.75) out[key] = shaped(sub, depth + 1);
        }
        return out;
      }
      case "string": {
        // Weighted towards what tmux could misread: live pane ids, flags, control characters.
        const r = random();
        if (r < 0.25 && paneIds.length) return pick(paneIds);
        if (r < 0.55) return pick(FLAGS);
        if (r < 0.75) return pick(CONTROL);
        return pick(STRINGS);
      }
      case "integer":
        return random() < 0.6 ? Math.floor(random() * 2) : pick(NUMBERS);
      case "number":
        return pick(NUMBERS);
      case "boolean":
        return random() < 0.5;
      case "array":
        return Array.from({ length: Math.floor(random() * 3) }, () => shaped(schema.items ?? {}, depth + 1));
      default:
        return depth > 2 ? pick(STRINGS) : object(depth + 1);
    }
  };
  const body = (route: RouteInfo): string | undefined => {
    const r = random();
    if (r < 0.1) return undefined;
    if (r < 0.15) return "";
    if (r < 0.3) return pick(MALFORMED);
    if (r < 0.38) return JSON.stringify(value(2));
    if (r < 0.42 || !route.body) return JSON.stringify(object(0));
    return JSON.stringify(shaped(route.body as JsonSchema, 0));
  };
  const path = (route: RouteInfo): string =>
    route.url.replace(/:(\w+)/g, (_m, name: string) =>
      name === "session" && random() < 0.7 ? "fuzz" : pick(PARAMS),
    ) + (random() < 0.5 ? pick(QUERIES) : "");
  return { pick, body, path };
}

const reachesTmux = (route: RouteInfo) => route.params.includes("session");

interface Sent {
  method: string;
  path: string;
  contentType: string | undefined;
  body: string | undefined;
}

const describeSent = (s: Sent) =>
  `${s.method} ${s.path.slice(0, 200)} [${s.contentType ?? "no content-type"}] ${
    s.body === undefined ? "(no body)" : JSON.stringify(s.body.slice(0, 200))
  }`;

/** The problem with an answer, or undefined when it is one the spec allows. */
function judge(sent: Sent, status: number, contentType: string, text: string): string | undefined {
  if (status >= 500 && status !== 503) return `${status} ${text.slice(0, 300)}`;
  if (status < 400) return undefined;
  const url = sent.path.split("?")[0]!;
  // The WebSocket endpoints answer a plain GET with the spec's plain-text 400 (§2).
  if ((url === "/ws/tmux" || url === "/ws/events") && status === 400) {
    return text === "bad websocket request\n" ? undefined : `ws 400 with ${JSON.stringify(text)}`;
  }
  if (!/^application\/json/.test(contentType)) return `${status} with Content-Type ${contentType}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return `${status} body is not JSON: ${text.slice(0, 200)}`;
  }
  const error = (parsed as { error?: { code?: unknown; message?: unknown } }).error;
  const keys = Object.keys(parsed as object);
  if (
    !error ||
    typeof error.code !== "string" ||
    typeof error.message !== "string" ||
    keys.length !== 1 ||
    Object.keys(error).some((k) => k !== "code" && k !== "message" && k !== "details")
  ) {
    return `${status} body is not the {error:{code,message}} envelope: ${text.slice(0, 300)}`;
  }
  if (status === 503 && !DOCUMENTED_503.has(error.code)) return `undocumented 503 ${text.slice(0, 300)}`;
  return undefined;
}

describe("URLs fastify cannot route", () => {
  test("bad percent-encoding and overlong parameters get the spec's 400 envelope", async () => {
    const paths = [
      "/api/ops/jobs/%ff",
      "/api/tmux/sessions/%/windows",
      "/api/tmux/sessions/%E2%9C/windows",
      `/api/tmux/sessions/${"x".repeat(150)}/windows`,
      `/api/recordings/${"y".repeat(500)}`,
    ];
    for (const path of paths) {
      const res = await server.api(path);
      const text = await res.text();
      assert.equal(res.status, 400, `${path}: ${text}`);
      assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
      assert.ok(res.headers.get("x-request-id"), "the request id is echoed");
      const body = JSON.parse(text) as { error: { code: string; message: string } };
      assert.equal(body.error.code, "INVALID_REQUEST", text);
      assert.deepEqual(Object.keys(body), ["error"]);
    }
  });
});

describe(`route fuzzer (seed ${SEED}, ${ROUNDS} rounds)`, () => {
  test("no 5xx, the error envelope everywhere, and the server and tmux survive", async () => {
    const random = prng(SEED);
    const paneIds = (await tmux.tmux("list-panes", "-s", "-t", "=fuzz:", "-F", "#{pane_id}"))
      .split("\n")
      .filter(Boolean);
    const gen = generator(random, paneIds);
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    let sentCount = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // Every route once per round, those that reach tmux (a `:session`) three times, in the seed's order.
      const order = [...routes, ...routes.filter(reachesTmux), ...routes.filter(reachesTmux)]
        .map((route) => ({ route, key: random() }))
        .sort((a, b) => a.key - b.key)
        .map((x) => x.route);
      for (const route of order) {
        const sent: Sent = {
          method: route.method,
          path: gen.path(route),
          contentType: gen.pick(CONTENT_TYPES),
          body: route.method === "GET" ? undefined : gen.body(route),
        };
        const headers: Record<string, string> = {};
        if (sent.contentType) headers["content-type"] = sent.contentType;
        let res: Response;
        try {
          res = await server.api(sent.path, {
            method: sent.method,
            headers,
            ...(sent.body === undefined ? {} : { body: sent.body }),
          });
        } catch (error) {
          failures.push(`${describeSent(sent)}: request failed: ${(error as Error).message}`);
          continue;
        }
        sentCount++;
        const text = await res.text();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const problem = judge(sent, res.status, res.headers.get("content-type") ?? "", text);
        if (problem) failures.push(`${describeSent(sent)}: ${problem}`);
      }
    }
    const summary = [...statuses].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}×${n}`);
    console.log(
      `fuzz seed ${SEED}: ${sentCount} requests over ${routes.length} routes: ${summary.join(" ")}`,
    );
    assert.ok(sentCount >= routes.length * ROUNDS, `only ${sentCount} requests answered`);
    assert.ok(statuses.has(204), "some requests got through to tmux");
    assert.deepEqual(failures, [], `seed ${SEED}`);

    // Alive afterwards: the server answers, has not exited, and the private tmux server still runs.
    assert.equal(server.child.exitCode, null, "the server exited");
    const meta = await server.api("/api/meta");
    assert.equal(meta.status, 200, await meta.text());
    const list = await server.api("/api/tmux/sessions");
    assert.equal(list.status, 200, await list.text());
    await tmux.tmux("has-session", "-t", "=keeper");
    assert.doesNotMatch(server.logs(), /uncaughtException|unhandledRejection/);
    // No string was ever run by a shell.
    assert.equal(existsSync("/tmp/sentinel-fuzz-pwned"), false);
  });
});
