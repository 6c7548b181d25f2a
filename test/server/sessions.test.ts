// Session routes (spec §1.2) and GET /api/meta (§1.1) against the real server and a real tmux on a private
// socket. Assertions are on the wire contract (status, envelope, fields) and on tmux itself, not on how the
// server builds its answers.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type ServerHandle, startServer } from "./serverFixture.js";
import { startTmux, type TmuxFixture, waitFor } from "./tmuxFixture.js";

const NAME_MESSAGE = "name must match ^[A-Za-z0-9._-]{1,64}$";
const ICON_MESSAGE = "icon must match ^[a-z0-9-]{1,32}$";
const INVALID_JSON = "invalid json body";
const MULTIPLE_JSON = "invalid json body: multiple json values";

let tmux: TmuxFixture;
let server: ServerHandle;
let home: string;
let work: string;

before(async () => {
  home = realpathSync(mkdtempSync(join(tmpdir(), "sentinel-home-")));
  work = join(home, "work");
  mkdirSync(work);
  writeFileSync(join(home, "a-file"), "not a directory");
  // No tmux server yet: the first test lists sessions without one.
  tmux = await startTmux();
  server = await startServer({ tmuxSocket: tmux.socket, env: { HOME: home } });
});

after(async () => {
  await server?.stop();
  await tmux?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

interface Session {
  name: string;
  windows: number;
  panes: number;
  attached: number;
  createdAt: string;
  activityAt: string;
  command: string;
  hash: string;
  lastContent: string;
  icon: string;
  unreadWindows: number;
  unreadPanes: number;
  rev: number;
}

const base = "/api/tmux/sessions";
const path = (s: string) => `${base}/${s}`;
const send = (method: string, p: string, json?: unknown) =>
  server.api(p, { method, ...(json === undefined ? {} : { json }) });
const create = (json: unknown) => send("POST", base, json);
const rename = (s: string, json: unknown) => send("PATCH", path(s), json);
const setIcon = (s: string, json: unknown) => send("PATCH", `${path(s)}/icon`, json);
const kill = (s: string) => send("DELETE", `${path(s)}?confirm=1`);

async function list(): Promise<Session[]> {
  const res = await server.api(base);
  const text = await res.text();
  assert.equal(res.status, 200, text);
  const body = JSON.parse(text) as { data: { sessions: Session[] } };
  assert.deepEqual(Object.keys(body), ["data"]);
  assert.ok(Array.isArray(body.data.sessions));
  return body.data.sessions;
}

/** Waits until the listing satisfies `check` (the listing may come from a projection that lags tmux a little). */
async function listed(check: (sessions: Session[]) => boolean, what: string): Promise<Session[]> {
  let last: Session[] = [];
  await waitFor(
    async () => {
      last = await list();
      return check(last);
    },
    5000,
    what,
  );
  return last;
}

/** Session names in tmux itself, or [] when no tmux server runs. */
async function tmuxSessions(): Promise<string[]> {
  try {
    return (await tmux.tmux("list-sessions", "-F", "#{session_name}")).trim().split("\n").filter(Boolean);
  } catch {
    return [];
  }
}

const has = async (name: string) => (await tmuxSessions()).includes(name);

async function expectError(res: Response, status: number, code: string, message?: string) {
  const text = await res.text();
  assert.equal(res.status, status, text);
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
  const body = JSON.parse(text) as { error: { code: string; message: string } };
  assert.deepEqual(Object.keys(body), ["error"], text);
  assert.deepEqual(Object.keys(body.error).sort(), ["code", "message"], text);
  assert.equal(body.error.code, code, text);
  if (message !== undefined) assert.equal(body.error.message, message);
}

async function expectNoContent(res: Response) {
  const text = await res.text();
  assert.equal(res.status, 204, text);
  assert.equal(text, "");
}

async function expectData(res: Response, status: number, data: unknown) {
  const text = await res.text();
  assert.equal(res.status, status, text);
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
  assert.deepEqual(JSON.parse(text), { data });
}

describe("GET /api/tmux/sessions", () => {
  test("with no tmux server running: 200 {sessions: []}, and no server is started", async () => {
    assert.deepEqual(await list(), []);
    assert.deepEqual(await tmuxSessions(), []);
    await assert.rejects(tmux.tmux("list-sessions"), /no server running|error connecting|No such file/);
  });

  test("lists every session with the spec's fields, sorted by name", async () => {
    await tmux.newSession("zeta");
    await tmux.newSession("dev");
    await tmux.newSession("dev2");
    await tmux.tmux("new-window", "-d", "-t", "=dev2:");
    await tmux.tmux("split-window", "-d", "-t", "=dev2:0");
    const sessions = await listed(
      (s) => ["dev", "dev2", "zeta"].every((n) => s.some((x) => x.name === n)),
      "the three sessions",
    );
    assert.deepEqual(
      sessions.map((s) => s.name),
      ["dev", "dev2", "zeta"],
    );
    const rfc3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
    for (const s of sessions) {
      assert.deepEqual(Object.keys(s).sort(), [
        "activityAt",
        "attached",
        "command",
        "createdAt",
        "hash",
        "icon",
        "lastContent",
        "name",
        "panes",
        "rev",
        "unreadPanes",
        "unreadWindows",
        "windows",
      ]);
      for (const k of ["windows", "panes", "attached", "unreadWindows", "unreadPanes", "rev"] as const) {
        assert.ok(Number.isInteger(s[k]) && s[k] >= 0, `${s.name}.${k} = ${s[k]}`);
      }
      for (const k of ["command", "lastContent", "icon"] as const) assert.equal(typeof s[k], "string");
      assert.match(s.createdAt, rfc3339);
      assert.match(s.activityAt, rfc3339);
      assert.match(s.hash, /^[0-9a-f]{12}$/);
      assert.equal(s.attached, 0);
      assert.equal(s.icon, "");
    }
    const dev2 = await listed((s) => s.find((x) => x.name === "dev2")?.panes === 3, "dev2 with 3 panes");
    assert.equal(dev2.find((x) => x.name === "dev2")!.windows, 2);
    const created = Number(await tmux.tmux("display-message", "-p", "-t", "=dev:", "#{session_created}"));
    const dev = sessions.find((x) => x.name === "dev")!;
    assert.equal(Date.parse(dev.createdAt) / 1000, created);
    assert.equal(dev.windows, 1);
    assert.equal(dev.panes, 1);
    // The hash of a session is stable from one listing to the next.
    assert.equal((await list()).find((x) => x.name === "dev")!.hash, dev.hash);
  });

  test("needs the token", async () => {
    await expectError(await server.api(base, { auth: false }), 401, "UNAUTHORIZED");
  });
});

describe("POST /api/tmux/sessions", () => {
  const panePath = async (s: string) =>
    (await tmux.tmux("display-message", "-p", "-t", `=${s}:`, "#{pane_start_path}|#{pane_current_path}"))
      .trim()
      .split("|")
      .find(Boolean);

  test("201 {name}: the session exists in tmux, in the given cwd", async () => {
    await expectData(await create({ name: "made", cwd: work }), 201, { name: "made" });
    assert.ok(await has("made"));
    assert.equal(await panePath("made"), work);
    await listed((s) => s.some((x) => x.name === "made"), "made in the listing");
  });

  test("name and cwd are trimmed; an empty or missing cwd is $HOME", async () => {
    await expectData(await create({ name: "  trimmed\t", cwd: ` ${work} ` }), 201, { name: "trimmed" });
    assert.equal(await panePath("trimmed"), work);
    await expectData(await create({ name: "homed", cwd: "" }), 201, { name: "homed" });
    assert.equal(await panePath("homed"), home);
    await expectData(await create({ name: "homed2" }), 201, { name: "homed2" });
    assert.equal(await panePath("homed2"), home);
    // 64 characters is the limit, included.
    const longest = "L".repeat(64);
    await expectData(await create({ name: longest }), 201, { name: longest });
    assert.ok(await has(longest));
  });

  test("a name tmux rewrites (. and :) is answered with the name tmux really used", async () => {
    const res = await create({ name: "my.app" });
    const text = await res.text();
    assert.equal(res.status, 201, text);
    const { name } = (JSON.parse(text) as { data: { name: string } }).data;
    assert.ok(await has(name), `${name} is not a tmux session`);
  });

  test("a duplicate is 409 SESSION_ALREADY_EXISTS, and the session is untouched", async () => {
    const before = await tmux.tmux("display-message", "-p", "-t", "=made:", "#{session_id}");
    await expectError(await create({ name: "made" }), 409, "SESSION_ALREADY_EXISTS");
    await expectError(await create({ name: " made " }), 409, "SESSION_ALREADY_EXISTS");
    assert.equal(await tmux.tmux("display-message", "-p", "-t", "=made:", "#{session_id}"), before);
    // tmux would store my.app as my_app: the second one collides with the first.
    await expectError(await create({ name: "my_app" }), 409, "SESSION_ALREADY_EXISTS");
  });

  test("bad names are 400 with the spec's message, and nothing is created", async () => {
    const before = await tmuxSessions();
    for (const name of [
      "a b",
      "x:y",
      "-t",
      "-",
      "a".repeat(65),
      "",
      "   ",
      "a/b",
      "ü",
      "a\nb",
      "$(id)",
      "=dev",
    ]) {
      await expectError(await create({ name, cwd: work }), 400, "INVALID_REQUEST", NAME_MESSAGE);
    }
    await expectError(await create({ cwd: work }), 400, "INVALID_REQUEST", NAME_MESSAGE);
    await expectError(await create({}), 400, "INVALID_REQUEST", NAME_MESSAGE);
    assert.deepEqual(await tmuxSessions(), before);
  });

  test("a relative cwd is 400; a missing directory or a file is a 4xx, never a 500", async () => {
    for (const cwd of ["relative", "./work", "../", "~", "~/work", "work/"]) {
      await expectError(
        await create({ name: "cwd-rel", cwd }),
        400,
        "INVALID_REQUEST",
        "cwd must be an absolute path",
      );
    }
    for (const cwd of ["/no/such/directory", join(home, "a-file"), join(home, "a-file", "below")]) {
      const res = await create({ name: "cwd-bad", cwd });
      const text = await res.text();
      assert.ok(res.status >= 400 && res.status < 500, `${cwd}: ${res.status} ${text}`);
      assert.equal((JSON.parse(text) as { error: { code: string } }).error.code, "INVALID_REQUEST");
    }
    assert.equal(await has("cwd-rel"), false);
    assert.equal(await has("cwd-bad"), false);
  });
});

describe("PATCH /api/tmux/sessions/{session} (rename)", () => {
  test("200 {name}: the session has the new name, the old one is gone", async () => {
    await tmux.newSession("ren-a");
    const id = await tmux.tmux("display-message", "-p", "-t", "=ren-a:", "#{session_id}");
    await expectData(await rename("ren-a", { newName: "ren-b" }), 200, { name: "ren-b" });
    assert.equal(await has("ren-a"), false);
    assert.equal(await tmux.tmux("display-message", "-p", "-t", "=ren-b:", "#{session_id}"), id);
    await expectData(await rename("ren-b", { newName: "  ren-c " }), 200, { name: "ren-c" });
    assert.ok(await has("ren-c"));
    await listed(
      (s) => s.some((x) => x.name === "ren-c") && !s.some((x) => x.name === "ren-b"),
      "ren-c listed",
    );
  });

  test("errors: bad source 400, bad new name 400, missing 404, taken 409", async () => {
    await tmux.newSession("ren-x");
    await tmux.newSession("ren-y");
    for (const bad of ["a%20b", "x:y", "x%3Ay", "-t", "a".repeat(65), "%C3%BC"]) {
      await expectError(
        await rename(bad, { newName: "fine" }),
        400,
        "INVALID_REQUEST",
        "invalid source session name",
      );
      // The path is checked before the body is read.
      await expectError(
        await rename(bad, "{not json"),
        400,
        "INVALID_REQUEST",
        "invalid source session name",
      );
    }
    for (const newName of ["a b", "x:y", "-t", "a".repeat(65), "", "  "]) {
      await expectError(await rename("ren-x", { newName }), 400, "INVALID_REQUEST", NAME_MESSAGE);
    }
    await expectError(await rename("ren-x", {}), 400, "INVALID_REQUEST", NAME_MESSAGE);
    await expectError(await rename("no-such", { newName: "whatever" }), 404, "SESSION_NOT_FOUND");
    await expectError(await rename("ren-x", { newName: "ren-y" }), 409, "SESSION_ALREADY_EXISTS");
    assert.ok((await has("ren-x")) && (await has("ren-y")));
    assert.equal(await has("whatever"), false);
    assert.equal(await has("fine"), false);
  });
});

describe("PATCH /api/tmux/sessions/{session}/icon", () => {
  test("204 for a valid icon; the listing shows it", async () => {
    await tmux.newSession("iconic");
    await expectNoContent(await setIcon("iconic", { icon: "bot" }));
    await listed((s) => s.find((x) => x.name === "iconic")?.icon === "bot", "icon bot");
    await expectNoContent(await setIcon("iconic", { icon: " a-1-z " }));
    await listed((s) => s.find((x) => x.name === "iconic")?.icon === "a-1-z", "icon a-1-z");
    await expectNoContent(await setIcon("iconic", { icon: "x".repeat(32) }));
  });

  test("an empty or bad icon is 400; a bad session name is 400; a missing session is 404", async () => {
    for (const icon of ["", "  ", "Bot", "a b", "a_b", "x".repeat(33), "ü", "bot!"]) {
      await expectError(await setIcon("iconic", { icon }), 400, "INVALID_REQUEST", ICON_MESSAGE);
    }
    await expectError(await setIcon("iconic", {}), 400, "INVALID_REQUEST", ICON_MESSAGE);
    await expectError(
      await setIcon("a%20b", { icon: "bot" }),
      400,
      "INVALID_REQUEST",
      "invalid session name",
    );
    await expectError(await setIcon("no-such", { icon: "bot" }), 404, "SESSION_NOT_FOUND");
    // The last valid icon is still there.
    await listed((s) => s.find((x) => x.name === "iconic")?.icon === "x".repeat(32), "icon unchanged");
  });
});

describe("DELETE /api/tmux/sessions/{session}", () => {
  test("204, then 404 SESSION_NOT_FOUND", async () => {
    await tmux.newSession("doomed");
    await expectNoContent(await kill("doomed"));
    assert.equal(await has("doomed"), false);
    await expectError(await kill("doomed"), 404, "SESSION_NOT_FOUND");
    await listed((s) => !s.some((x) => x.name === "doomed"), "doomed gone from the listing");
  });

  test("a bad session name is 400", async () => {
    for (const bad of ["a%20b", "x:y", "-t", "a".repeat(65)]) {
      await expectError(await kill(bad), 400, "INVALID_REQUEST", "invalid session name");
    }
  });
});

describe("exact names: dev never touches dev2", () => {
  test("with only dev2 alive, rename, icon and kill of dev are 404 and dev2 is untouched", async () => {
    await tmux.newSession("solo2");
    const id = await tmux.tmux("display-message", "-p", "-t", "=solo2:", "#{session_id}");
    await expectError(await rename("solo", { newName: "stolen" }), 404, "SESSION_NOT_FOUND");
    await expectError(await setIcon("solo", { icon: "bot" }), 404, "SESSION_NOT_FOUND");
    await expectError(await kill("solo"), 404, "SESSION_NOT_FOUND");
    await expectError(await server.api(`${path("solo")}/windows`), 404, "SESSION_NOT_FOUND");
    assert.ok(await has("solo2"));
    assert.equal(await has("stolen"), false);
    assert.equal(await tmux.tmux("display-message", "-p", "-t", "=solo2:", "#{session_id}"), id);
    // solo2 was made with the tmux CLI: the listing may be the projection, which follows a moment later.
    const solo2 = (await listed((s) => s.some((x) => x.name === "solo2"), "solo2")).find(
      (x) => x.name === "solo2",
    );
    assert.equal(solo2?.icon, "", "solo2 keeps no icon");
  });

  test("with dev and dev2 alive, renaming and killing dev leave dev2 alone", async () => {
    const id2 = await tmux.tmux("display-message", "-p", "-t", "=dev2:", "#{session_id}");
    await expectNoContent(await setIcon("dev", { icon: "star" }));
    await expectData(await rename("dev", { newName: "dev-renamed" }), 200, { name: "dev-renamed" });
    assert.ok(await has("dev2"));
    await expectNoContent(await kill("dev-renamed"));
    assert.ok(await has("dev2"));
    // Creating dev again while dev2 exists makes a new dev, not a clash with dev2.
    await expectData(await create({ name: "dev" }), 201, { name: "dev" });
    await expectNoContent(await kill("dev"));
    assert.ok(await has("dev2"));
    assert.equal(await tmux.tmux("display-message", "-p", "-t", "=dev2:", "#{session_id}"), id2);
    const dev2 = (await listed((s) => s.some((x) => x.name === "dev2"), "dev2")).find(
      (x) => x.name === "dev2",
    );
    assert.equal(dev2?.icon, "");
  });
});

describe("bad bodies are the spec's 4xx envelope, never a 500", () => {
  const routes: Array<[string, string]> = [
    ["POST", base],
    ["PATCH", path("zeta")],
    ["PATCH", `${path("zeta")}/icon`],
  ];
  const raw = (method: string, p: string, body: RequestInit["body"] | undefined, contentType?: string) =>
    server.api(p, {
      method,
      ...(body === undefined ? {} : { body }),
      headers: contentType ? { "content-type": contentType } : {},
    });

  test("malformed, empty, non-object and unknown fields: 400 invalid json body", async () => {
    for (const [method, p] of routes) {
      for (const body of [
        "",
        "   ",
        "\n",
        "{",
        "{not json",
        "{'name':'x'}",
        '{"name":"x",}',
        "null",
        "[]",
        '"text"',
        "7",
        "true",
      ]) {
        await expectError(await send(method, p, body), 400, "INVALID_REQUEST", INVALID_JSON);
      }
      // No body at all, with and without a content type.
      await expectError(
        await raw(method, p, undefined, "application/json"),
        400,
        "INVALID_REQUEST",
        INVALID_JSON,
      );
      await expectError(await raw(method, p, undefined), 400, "INVALID_REQUEST");
      for (const json of [
        { name: "x", extra: 1 },
        { newName: "x", icon: "y", name: "z", cwd: "/" },
        { __proto__: null, constructor: "x" },
      ]) {
        await expectError(await send(method, p, json), 400, "INVALID_REQUEST", INVALID_JSON);
      }
      await expectError(
        await send(method, p, '{"__proto__":{"name":"x"}}'),
        400,
        "INVALID_REQUEST",
        INVALID_JSON,
      );
    }
  });

  test("trailing data: {} {} is 400 multiple json values", async () => {
    for (const [method, p] of routes) {
      for (const body of ["{} {}", '{"name":"x"}{"name":"y"}', "{} 1", '{}\n"x"']) {
        await expectError(await send(method, p, body), 400, "INVALID_REQUEST", MULTIPLE_JSON);
      }
    }
    assert.equal(await has("x"), false);
  });

  test("wrong JSON types: 400 invalid json body", async () => {
    const cases: Array<[string, string, unknown]> = [
      ["POST", base, { name: 1 }],
      ["POST", base, { name: null }],
      ["POST", base, { name: ["x"] }],
      ["POST", base, { name: { x: 1 } }],
      ["POST", base, { name: "x", cwd: true }],
      ["POST", base, { name: "x", cwd: 0 }],
      ["PATCH", path("zeta"), { newName: 5 }],
      ["PATCH", path("zeta"), { newName: null }],
      ["PATCH", `${path("zeta")}/icon`, { icon: false }],
      ["PATCH", `${path("zeta")}/icon`, { icon: ["bot"] }],
    ];
    for (const [method, p, json] of cases) {
      await expectError(await send(method, p, json), 400, "INVALID_REQUEST", INVALID_JSON);
    }
    assert.ok(await has("zeta"));
  });

  test("bodies over 1 MiB: 400 invalid json body, and the client always gets the answer", async () => {
    const huge = JSON.stringify({ name: "huge", cwd: `/${"a".repeat(1 << 20)}` });
    const chunked = () =>
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (let i = 0; i < 24; i++) controller.enqueue(new Uint8Array(64 * 1024).fill(0x20));
          controller.enqueue(new TextEncoder().encode('{"name":"chunked"}'));
          controller.close();
        },
      });
    // Repeated: a server that answers before reading the body and closes the socket resets it, and the
    // client, still sending, loses the answer some of the time (EPIPE / ECONNRESET).
    for (let round = 0; round < 8; round++) {
      for (const [method, p] of routes) {
        await expectError(await send(method, p, huge), 400, "INVALID_REQUEST", INVALID_JSON);
      }
      // Without a Content-Length (chunked), the limit still applies.
      await expectError(
        await server.api(base, {
          method: "POST",
          body: chunked(),
          headers: { "content-type": "application/json" },
          duplex: "half",
        } as RequestInit),
        400,
        "INVALID_REQUEST",
        INVALID_JSON,
      );
    }
    // Exactly 1 MiB is still read.
    const padded = `{"name":"just-fits"}`.padEnd(1 << 20, " ");
    await expectData(await send("POST", base, padded), 201, { name: "just-fits" });
    assert.equal(await has("huge"), false);
    assert.equal(await has("chunked"), false);
  });

  test("binary garbage, bad UTF-8, deep nesting: 4xx envelope", async () => {
    const garbage = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256));
    const badUtf8 = Buffer.concat([
      Buffer.from('{"name":"'),
      Buffer.from([0xff, 0xfe, 0xc3]),
      Buffer.from('"}'),
    ]);
    for (const [method, p] of routes) {
      for (const type of ["application/json", "application/octet-stream", undefined]) {
        await expectError(await raw(method, p, garbage, type), 400, "INVALID_REQUEST");
        await expectError(await raw(method, p, Buffer.from([0, 0, 0, 0]), type), 400, "INVALID_REQUEST");
      }
      await expectError(
        await raw(method, p, "[".repeat(200_000), "application/json"),
        400,
        "INVALID_REQUEST",
      );
      await expectError(
        await raw(method, p, `${'{"a":'.repeat(50_000)}1${"}".repeat(50_000)}`, "application/json"),
        400,
        "INVALID_REQUEST",
      );
      const res = await raw(method, p, badUtf8, "application/json");
      assert.ok(res.status === 400, `${method} ${p}: ${res.status}`);
      await expectError(res, 400, "INVALID_REQUEST");
    }
  });

  test("the content type does not matter: the body is read as JSON (Go ignores it)", async () => {
    for (const type of [
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/json; charset=utf-8",
      "image/png",
    ]) {
      await expectError(await raw("POST", base, "name=x", type), 400, "INVALID_REQUEST", INVALID_JSON);
      await expectError(
        await raw("POST", base, '{"name":"a b"}', type),
        400,
        "INVALID_REQUEST",
        NAME_MESSAGE,
      );
    }
    await expectData(await raw("POST", base, '{"name":"typed"}', "text/plain"), 201, { name: "typed" });
    assert.ok(await has("typed"));
    // A Content-Type that is not a media type at all is refused by the HTTP layer: still a 4xx envelope.
    for (const type of ["weird", "/", "a/b/c"]) {
      const res = await raw("POST", base, '{"name":"weird"}', type);
      assert.ok(res.status >= 400 && res.status < 500, `${type}: ${res.status}`);
      await expectError(res, res.status, "INVALID_REQUEST");
    }
    assert.equal(await has("weird"), false);
  });

  test("the server logged no internal error and is still serving", async () => {
    assert.doesNotMatch(server.logs(), /INTERNAL_ERROR|unhandled error|"level":50/);
    assert.ok((await list()).length > 0);
  });
});

describe("GET /api/meta", () => {
  test("tokenRequired, defaultCwd ($HOME), version and the auth mode", async () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8")) as {
      version: string;
    };
    await expectData(await server.api("/api/meta"), 200, {
      tokenRequired: true,
      defaultCwd: home,
      version: pkg.version,
      auth: "token",
    });
    await expectError(await server.api("/api/meta", { auth: false }), 401, "UNAUTHORIZED");
  });
});

describe("unmatched routes (§0.2)", () => {
  test("a known path with the wrong method is 405 with Allow; an unknown path is 404", async () => {
    const wrong = await send("PUT", base, { name: "x" });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get("allow"), "GET, HEAD, POST");
    assert.equal(((await wrong.json()) as { error: { code: string } }).error.code, "METHOD_NOT_ALLOWED");
    const post = await send("POST", "/api/meta", {});
    assert.equal(post.status, 405);
    assert.equal(post.headers.get("allow"), "GET, HEAD");
    const param = await send("POST", `${path("anything")}/icon`, {});
    assert.equal(param.status, 405);
    assert.equal(param.headers.get("allow"), "PATCH");
    const unknown = await send("GET", "/api/nope");
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { error: { code: string } }).error.code, "NOT_FOUND");
    assert.equal((await send("DELETE", "/nope")).status, 404);
  });

  test("a plain GET of a WebSocket endpoint is 400 `bad websocket request`", async () => {
    for (const p of ["/ws/tmux?session=x", "/ws/events"]) {
      const res = await server.api(p);
      assert.equal(res.status, 400, p);
      assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
      assert.equal((await res.text()).trim(), "bad websocket request");
    }
  });
});
