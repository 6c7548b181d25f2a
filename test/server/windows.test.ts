// Windows and panes routes against the real server and a real tmux on a private socket.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type ServerHandle, startServer } from "./serverFixture.js";
import { startTmux, type TmuxFixture } from "./tmuxFixture.js";

let tmux: TmuxFixture;
let server: ServerHandle;

before(async () => {
  tmux = await startTmux();
  await tmux.newSession("w");
  await tmux.newSession("other");
  server = await startServer({ tmuxSocket: tmux.socket });
});

after(async () => {
  await server?.stop();
  await tmux?.close();
});

const post = (path: string, json?: unknown) =>
  server.api(path, { method: "POST", ...(json === undefined ? {} : { json }) });
const windows = async (s: string) =>
  (await tmux.tmux("list-windows", "-t", `=${s}`, "-F", "#{window_index}:#{window_name}:#{window_active}"))
    .trim()
    .split("\n");
const paneIds = async (s: string) =>
  (await tmux.tmux("list-panes", "-s", "-t", `=${s}`, "-F", "#{pane_id}")).trim().split("\n");

async function expectError(res: Response, status: number, code: string, message?: string) {
  const body = (await res.json()) as { error: { code: string; message: string } };
  assert.equal(res.status, status, JSON.stringify(body));
  assert.equal(body.error.code, code);
  if (message !== undefined) assert.equal(body.error.message, message);
}

describe("windows and panes", () => {
  test("GET windows and panes describe the session", async () => {
    const res = await server.api("/api/tmux/sessions/w/windows");
    assert.equal(res.status, 200);
    const { data } = (await res.json()) as { data: { windows: Array<Record<string, unknown>> } };
    assert.equal(data.windows.length, 1);
    assert.equal(data.windows[0]!.session, "w");
    assert.equal(data.windows[0]!.index, 0);
    assert.equal(data.windows[0]!.active, true);
    assert.equal(data.windows[0]!.panes, 1);
    assert.equal(typeof data.windows[0]!.layout, "string");
    assert.equal(data.windows[0]!.hasUnread, false);

    const pr = await server.api("/api/tmux/sessions/w/panes");
    const panes = ((await pr.json()) as { data: { panes: Array<Record<string, unknown>> } }).data.panes;
    assert.equal(panes.length, 1);
    assert.match(String(panes[0]!.paneId), /^%\d+$/);
    assert.match(String(panes[0]!.tty), /^\/dev\/pts\//);
    assert.equal(panes[0]!.revision, 0);
    assert.equal(panes[0]!.hasUnread, false);
  });

  test("new-window names windows win-N and panes pan-N, monotonic across reused indexes", async () => {
    await tmux.tmux("rename-window", "-t", "=w:0", "win-1");
    await tmux.tmux("new-window", "-d", "-t", "=w:1", "-n", "win-3");
    await tmux.tmux("new-window", "-d", "-t", "=w:2", "-n", "zsh");
    assert.equal((await post("/api/tmux/sessions/w/new-window")).status, 204);
    const names = await windows("w");
    assert.ok(
      names.some((w) => w.startsWith("3:win-4:")),
      names.join(","),
    );
    const title = await tmux.tmux("display-message", "-p", "-t", "=w:3", "#{pane_id} #{pane_title}");
    const [id, t] = title.trim().split(" ");
    assert.equal(t, `pan-${id!.slice(1)}`);
    // Kill it and create again: tmux reuses index 3, the name keeps counting.
    assert.equal((await post("/api/tmux/sessions/w/kill-window", { index: 3 })).status, 204);
    assert.equal((await post("/api/tmux/sessions/w/new-window", { ignored: true })).status, 204);
    assert.ok((await windows("w")).some((w) => w.startsWith("3:win-5:")));
  });

  test("select-window and rename-window act on the exact window", async () => {
    assert.equal((await post("/api/tmux/sessions/w/select-window", { index: 1 })).status, 204);
    assert.ok((await windows("w")).includes("1:win-3:1"));
    assert.equal(
      (await post("/api/tmux/sessions/w/rename-window", { index: 1, name: "build logs" })).status,
      204,
    );
    assert.ok((await windows("w")).includes("1:build logs:1"));
    // A missing index means window 0 (Go's zero value).
    assert.equal((await post("/api/tmux/sessions/w/select-window", {})).status, 204);
    assert.ok((await windows("w")).some((w) => w.startsWith("0:") && w.endsWith(":1")));
  });

  test("split, select, rename and kill panes", async () => {
    const [first] = await paneIds("w");
    const before = (await paneIds("w")).length;
    assert.equal(
      (await post("/api/tmux/sessions/w/split-pane", { paneId: first, direction: "VERTICAL" })).status,
      204,
    );
    const after = await paneIds("w");
    assert.equal(after.length, before + 1);
    const created = after.find((p) => !(p === first) && !(p in {}))!;
    assert.ok(created);
    assert.equal(
      (await post("/api/tmux/sessions/w/split-pane", { paneId: first, direction: "horizontal" })).status,
      204,
    );
    assert.equal((await post("/api/tmux/sessions/w/select-pane", { paneId: first })).status, 204);
    assert.equal(
      (await tmux.tmux("display-message", "-p", "-t", "=w:", "#{pane_id}")).trim(),
      first,
      "selected pane is active",
    );
    assert.equal(
      (await post("/api/tmux/sessions/w/rename-pane", { paneId: first, title: "editor ✎" })).status,
      204,
    );
    assert.equal(
      (await tmux.tmux("display-message", "-p", "-t", first!, "#{pane_title}")).trim(),
      "editor ✎",
    );
    const count = (await paneIds("w")).length;
    assert.equal((await post("/api/tmux/sessions/w/kill-pane", { paneId: first })).status, 204);
    assert.equal((await paneIds("w")).length, count - 1);
  });

  test("missing things are 404s, never 500s", async () => {
    await expectError(await server.api("/api/tmux/sessions/nope/windows"), 404, "SESSION_NOT_FOUND");
    await expectError(await server.api("/api/tmux/sessions/nope/panes"), 404, "SESSION_NOT_FOUND");
    await expectError(
      await post("/api/tmux/sessions/w/select-window", { index: 99 }),
      404,
      "WINDOW_NOT_FOUND",
    );
    await expectError(await post("/api/tmux/sessions/w/kill-window", { index: 99 }), 404, "WINDOW_NOT_FOUND");
    await expectError(
      await post("/api/tmux/sessions/w/select-pane", { paneId: "%9999" }),
      404,
      "PANE_NOT_FOUND",
    );
    await expectError(await post("/api/tmux/sessions/nope/new-window"), 404, "SESSION_NOT_FOUND");
    // A pane of another session cannot be touched through this one.
    const [foreign] = await paneIds("other");
    await expectError(
      await post("/api/tmux/sessions/w/kill-pane", { paneId: foreign }),
      404,
      "PANE_NOT_FOUND",
    );
    assert.deepEqual(await paneIds("other"), [foreign]);
  });

  test("bad input gets 400 INVALID_REQUEST with the spec's messages", async () => {
    const cases: Array<[string, unknown, string]> = [
      ["select-window", { index: -1 }, "index must be >= 0"],
      ["select-window", { index: "1" }, "invalid json body"],
      ["select-window", { index: 1.5 }, "invalid json body"],
      ["select-window", { index: 0, extra: 1 }, "invalid json body"],
      ["kill-window", { index: -2 }, "index must be >= 0"],
      ["select-pane", { paneId: "3" }, "paneId must start with %"],
      ["select-pane", {}, "paneId must start with %"],
      ["kill-pane", { paneId: "%-t" }, "paneId must start with %"],
      ["split-pane", { paneId: "%1", direction: "diagonal" }, "direction must be vertical or horizontal"],
      [
        "rename-window",
        { index: 0, name: "a:b" },
        "window name must be 1-64 characters (letters, digits, dots, hyphens, underscores, spaces)",
      ],
      [
        "rename-window",
        { index: 0, name: "x".repeat(65) },
        "window name must be 1-64 characters (letters, digits, dots, hyphens, underscores, spaces)",
      ],
      ["rename-pane", { paneId: "%1", title: "a\nb" }, "title must be 1-128 characters"],
      ["rename-pane", { paneId: "%1", title: "t".repeat(129) }, "title must be 1-128 characters"],
    ];
    for (const [route, body, message] of cases) {
      await expectError(await post(`/api/tmux/sessions/w/${route}`, body), 400, "INVALID_REQUEST", message);
    }
    await expectError(
      await post("/api/tmux/sessions/w/select-window", "{"),
      400,
      "INVALID_REQUEST",
      "invalid json body",
    );
    await expectError(
      await post("/api/tmux/sessions/w/select-window"),
      400,
      "INVALID_REQUEST",
      "invalid json body",
    );
    for (const bad of ["a%20b", "x:y", "-t", "a".repeat(65)]) {
      await expectError(
        await post(`/api/tmux/sessions/${bad}/select-window`, "{not json"),
        400,
        "INVALID_REQUEST",
        "invalid session name",
      );
      await expectError(
        await server.api(`/api/tmux/sessions/${bad}/windows`),
        400,
        "INVALID_REQUEST",
        "invalid session name",
      );
    }
  });
});
