// Windows and panes routes (spec §1.3) and `GET /api/fs/dirs` glue (§1.1), against the real server and a real
// tmux on a private socket. Every effect is checked with tmux itself.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { nextWindowSequence } from "../../src/server/http/windowRoutes.js";
import { type ServerHandle, startServer } from "./serverFixture.js";
import { startTmux, type TmuxFixture, waitFor } from "./tmuxFixture.js";

let tmux: TmuxFixture;
let server: ServerHandle;
let home: string;

before(async () => {
  home = mkdtempSync(join(tmpdir(), "sentinel-home-"));
  for (const d of ["Projects", "photos", ".config"]) mkdirSync(join(home, d));
  tmux = await startTmux();
  for (const s of ["w", "other", "panes", "names", "g1"]) await tmux.newSession(s);
  // g2 shares g1's windows (a session group): their panes belong to both sessions.
  await tmux.tmux("new-session", "-d", "-t", "=g1", "-s", "g2");
  server = await startServer({ tmuxSocket: tmux.socket, env: { HOME: home } });
});

after(async () => {
  await server?.stop();
  await tmux?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

const base = (s: string) => `/api/tmux/sessions/${s}`;
const post = (path: string, json?: unknown) =>
  server.api(path, { method: "POST", ...(json === undefined ? {} : { json }) });
const show = async (target: string, format: string) =>
  (await tmux.tmux("display-message", "-p", "-t", target, format)).trim();
/** `index:name:active` per window. */
const windows = async (s: string) =>
  (await tmux.tmux("list-windows", "-t", `=${s}`, "-F", "#{window_index}:#{window_name}:#{window_active}"))
    .trim()
    .split("\n");
const paneIds = async (s: string) =>
  (await tmux.tmux("list-panes", "-s", "-t", `=${s}:`, "-F", "#{pane_id}")).trim().split("\n");

async function expectNoContent(res: Response) {
  const text = await res.text();
  assert.equal(res.status, 204, text);
  assert.equal(text, "");
}

async function expectError(res: Response, status: number, code: string, message?: string) {
  const text = await res.text();
  assert.equal(res.status, status, text);
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
  const body = JSON.parse(text) as { error: { code: string; message: string } };
  assert.equal(body.error.code, code, text);
  if (message !== undefined) assert.equal(body.error.message, message);
}

describe("new-window naming rule (pure part)", () => {
  test("the sequence passes the created index and every existing win-N", () => {
    // Windows [0:win-1, 1:win-3, 2:zsh], created at index 1 → win-4.
    assert.equal(nextWindowSequence(["win-1", "win-3", "zsh"], 1), 4);
    // Listing failed (no names) and tmux reused index 0 → 1; the stored sequence then keeps it monotonic.
    assert.equal(nextWindowSequence([], 0), 1);
    assert.equal(nextWindowSequence(["win-07", "win-x", "win-", "my win-9"], 2), 8);
    assert.equal(nextWindowSequence(["zsh"], 5), 6);
  });
});

describe("GET windows and panes", () => {
  // The session is watched, so these come from the watchtower's projection (spec §1.3): the tmux fields mirror
  // tmux at once (the GET asks for a fresh collect), and the unread fields follow §4.
  test("windows mirror list-windows, with the projection's unread fields", async () => {
    await tmux.tmux("new-window", "-d", "-t", "=w:1", "-n", "second");
    // Reads answer from the projection (ADR 0018): a window made with the tmux CLI shows once the watchtower
    // has listed it, which under load (or while a shell is still printing) may be after the first read. Window
    // 0's name may still be `env` then (automatic-rename before env exec'd bash): wait for the names tmux lists.
    let names: string[] = [];
    const data = await waitFor(
      async () => {
        const res = await server.api(`${base("w")}/windows`);
        assert.equal(res.status, 200, "GET windows is 200");
        const body = (await res.json()) as { data: { windows: Array<Record<string, unknown>> } };
        if (body.data.windows.length !== 2) return undefined;
        names = (await windows("w")).map((w) => w.split(":")[1]!);
        return body.data.windows.map((w) => w.name).join() === names.join() ? body.data : undefined;
      },
      5000,
      "the CLI-made window in GET windows, with the names tmux lists",
    );
    assert.ok(data, "GET windows lists both windows");
    const layouts = (await tmux.tmux("list-windows", "-t", "=w", "-F", "#{window_layout}"))
      .trim()
      .split("\n");
    const pick = ({ session, index, name, active, panes, layout }: Record<string, unknown>) => ({
      session,
      index,
      name,
      active,
      panes,
      layout,
    });
    assert.deepEqual(data.windows.map(pick), [
      {
        session: "w",
        index: 0,
        name: names[0],
        active: true,
        panes: 1,
        layout: layouts[0],
      },
      { session: "w", index: 1, name: "second", active: false, panes: 1, layout: layouts[1] },
    ]);
    for (const w of data.windows) {
      assert.ok(Number.isInteger(w.rev) && (w.rev as number) >= 1, `rev ${w.rev}`);
      assert.ok(Number.isInteger(w.unreadPanes) && (w.unreadPanes as number) >= 0);
      assert.equal(w.hasUnread, (w.unreadPanes as number) > 0);
      if ("activityAt" in w) assert.match(String(w.activityAt), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }
  });

  test("panes mirror list-panes, sorted by window then pane, empty strings omitted", async () => {
    await tmux.tmux("split-window", "-d", "-t", "=w:1");
    // Like the window above: the CLI-made pane shows once the watchtower has listed it (ADR 0018). Its command
    // may still be `env` then (the listing came before env exec'd bash); bash's prompt is output, so the next
    // collect brings the projection level with tmux: wait for both to agree on the panes and their commands.
    const listPanes = async () =>
      (
        await tmux.tmux(
          "list-panes",
          "-s",
          "-t",
          "=w",
          "-F",
          "#{window_index}\t#{pane_index}\t#{pane_id}\t#{pane_title}\t#{pane_active}\t#{pane_tty}\t#{pane_current_path}\t#{pane_current_command}\t#{pane_start_command}",
        )
      )
        .trim()
        .split("\n")
        .map((l) => l.split("\t"));
    let rows: string[][] = [];
    const data = await waitFor(
      async () => {
        const res = await server.api(`${base("w")}/panes`);
        assert.equal(res.status, 200, "GET panes is 200");
        const body = (await res.json()) as { data: { panes: Array<Record<string, unknown>> } };
        if (body.data.panes.length !== 3) return undefined;
        rows = await listPanes();
        const commands = rows.map((r) => `${r[0]}.${r[1]}:${r[7]}`).sort();
        const seen = body.data.panes.map((p) => `${p.windowIndex}.${p.paneIndex}:${p.currentCommand}`).sort();
        return commands.join() === seen.join() ? body.data : undefined;
      },
      5000,
      "the CLI-made pane in GET panes, with the commands tmux lists",
    );
    assert.ok(data, "GET panes lists the three panes");
    assert.equal(data.panes.length, 3);
    assert.deepEqual(
      data.panes.map((p) => [p.windowIndex, p.paneIndex]),
      [
        [0, 0],
        [1, 0],
        [1, 1],
      ],
    );
    for (const [i, p] of data.panes.entries()) {
      const [wi, pi, id, title, active, tty, path, cmd, start] = rows.find(
        (r) => Number(r[0]) === p.windowIndex && Number(r[1]) === p.paneIndex,
      )!;
      const { revision, seenRevision, hasUnread, changedAt, tailPreview, ...tmuxFields } = p;
      assert.deepEqual(
        tmuxFields,
        {
          session: "w",
          windowIndex: Number(wi),
          paneIndex: Number(pi),
          paneId: id,
          title,
          active: active === "1",
          tty,
          ...(path ? { currentPath: path } : {}),
          ...(cmd ? { currentCommand: cmd } : {}),
          ...(start ? { startCommand: start } : {}),
        },
        `pane ${i}`,
      );
      assert.ok(Number.isInteger(revision) && Number.isInteger(seenRevision));
      assert.equal(hasUnread, (revision as number) > (seenRevision as number));
      // The projection path always formats changedAt (the zero time for a pane that never changed).
      assert.match(String(changedAt), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      if (tailPreview !== undefined) assert.ok(typeof tailPreview === "string" && tailPreview !== "");
    }
  });

  test("a missing session is 404 SESSION_NOT_FOUND", async () => {
    await expectError(await server.api(`${base("nope")}/windows`), 404, "SESSION_NOT_FOUND");
    await expectError(await server.api(`${base("nope")}/panes`), 404, "SESSION_NOT_FOUND");
  });

  test("session names are exact: no prefix match", async () => {
    // "pan" is a prefix of the session "panes"; tmux would match it without `=`.
    await expectError(await server.api(`${base("pan")}/windows`), 404, "SESSION_NOT_FOUND");
    await expectError(await server.api(`${base("pan")}/panes`), 404, "SESSION_NOT_FOUND");
    await expectError(await post(`${base("pan")}/select-window`, { index: 0 }), 404, "SESSION_NOT_FOUND");
    await expectError(await post(`${base("pan")}/new-window`), 404, "SESSION_NOT_FOUND");
    assert.equal((await windows("panes")).length, 1);
  });
});

describe("window operations", () => {
  test("new-window names the window win-N and its pane pan-N, monotonic when indexes are reused", async () => {
    await tmux.tmux("rename-window", "-t", "=names:0", "win-1");
    await tmux.tmux("new-window", "-d", "-t", "=names:1", "-n", "win-3");
    await tmux.tmux("new-window", "-d", "-t", "=names:2", "-n", "zsh");
    await expectNoContent(await post(`${base("names")}/new-window`));
    assert.deepEqual(await windows("names"), ["0:win-1:0", "1:win-3:0", "2:zsh:0", "3:win-4:1"]);
    const id = await show("=names:3", "#{pane_id}");
    assert.equal(await show(id, "#{pane_title}"), `pan-${id.slice(1)}`);

    // tmux reuses index 3 after a kill; the name keeps counting.
    await expectNoContent(await post(`${base("names")}/kill-window`, { index: 3 }));
    await expectNoContent(await post(`${base("names")}/new-window`));
    assert.deepEqual((await windows("names")).at(-1), "3:win-5:1");
  });

  test("new-window does not read its body", async () => {
    const count = (await windows("names")).length;
    await expectNoContent(await post(`${base("names")}/new-window`, { ignored: true }));
    await expectNoContent(await post(`${base("names")}/new-window`, "{not json"));
    await expectNoContent(await post(`${base("names")}/new-window`, ""));
    assert.equal((await windows("names")).length, count + 3);
    assert.deepEqual(
      (await windows("names")).slice(-3).map((w) => w.split(":")[1]),
      ["win-6", "win-7", "win-8"],
    );
  });

  test("select-window activates the exact window; a missing index is window 0", async () => {
    await expectNoContent(await post(`${base("names")}/select-window`, { index: 1 }));
    assert.ok((await windows("names")).includes("1:win-3:1"));
    await expectNoContent(await post(`${base("names")}/select-window`, {}));
    assert.ok((await windows("names")).includes("0:win-1:1"));
  });

  test("rename-window renames the exact window (spaces allowed, trimmed)", async () => {
    await expectNoContent(await post(`${base("names")}/rename-window`, { index: 2, name: " build logs " }));
    assert.ok((await windows("names")).some((w) => w.startsWith("2:build logs:")));
    await expectNoContent(await post(`${base("names")}/rename-window`, { name: "first.win_1-x" }));
    assert.ok((await windows("names")).some((w) => w.startsWith("0:first.win_1-x:")));
  });

  test("kill-window kills only that window", async () => {
    const before = await windows("names");
    await expectNoContent(await post(`${base("names")}/kill-window`, { index: 2 }));
    const now = await windows("names");
    assert.equal(now.length, before.length - 1);
    assert.ok(!now.some((w) => w.startsWith("2:")));
  });

  test("a missing window is 404 WINDOW_NOT_FOUND; a missing session is 404 SESSION_NOT_FOUND", async () => {
    for (const index of [2, 99, 2 ** 40]) {
      await expectError(await post(`${base("names")}/select-window`, { index }), 404, "WINDOW_NOT_FOUND");
      await expectError(
        await post(`${base("names")}/rename-window`, { index, name: "x" }),
        404,
        "WINDOW_NOT_FOUND",
      );
      await expectError(await post(`${base("names")}/kill-window`, { index }), 404, "WINDOW_NOT_FOUND");
    }
    await expectError(await post(`${base("nope")}/select-window`, { index: 0 }), 404, "SESSION_NOT_FOUND");
    await expectError(
      await post(`${base("nope")}/rename-window`, { index: 0, name: "x" }),
      404,
      "SESSION_NOT_FOUND",
    );
    await expectError(await post(`${base("nope")}/kill-window`, { index: 0 }), 404, "SESSION_NOT_FOUND");
    await expectError(await post(`${base("nope")}/new-window`), 404, "SESSION_NOT_FOUND");
  });
});

describe("pane operations", () => {
  test("split-pane: vertical is side by side, horizontal is stacked; the new pane is titled pan-N", async () => {
    const [first] = await paneIds("panes");
    await expectNoContent(
      await post(`${base("panes")}/split-pane`, { paneId: first, direction: "VERTICAL" }),
    );
    let ids = await paneIds("panes");
    assert.equal(ids.length, 2);
    const right = ids.find((p) => p !== first)!;
    assert.equal(await show(right, "#{pane_title}"), `pan-${right.slice(1)}`);
    assert.equal(await show(right, "#{pane_top}"), await show(first!, "#{pane_top}"));
    assert.notEqual(await show(right, "#{pane_left}"), await show(first!, "#{pane_left}"));

    await expectNoContent(
      await post(`${base("panes")}/split-pane`, { paneId: first, direction: "horizontal" }),
    );
    ids = await paneIds("panes");
    assert.equal(ids.length, 3);
    const below = ids.find((p) => p !== first && p !== right)!;
    assert.equal(await show(below, "#{pane_title}"), `pan-${below.slice(1)}`);
    assert.equal(await show(below, "#{pane_left}"), await show(first!, "#{pane_left}"));
    assert.notEqual(await show(below, "#{pane_top}"), await show(first!, "#{pane_top}"));
  });

  test("select-pane, rename-pane and kill-pane act on the exact pane", async () => {
    const [first, second, third] = await paneIds("panes");
    await expectNoContent(await post(`${base("panes")}/select-pane`, { paneId: second }));
    assert.equal(await show("=panes:", "#{pane_id}"), second);
    await expectNoContent(await post(`${base("panes")}/select-pane`, { paneId: first }));
    assert.equal(await show("=panes:", "#{pane_id}"), first);

    await expectNoContent(await post(`${base("panes")}/rename-pane`, { paneId: first, title: "editor ✎" }));
    assert.equal(await show(first!, "#{pane_title}"), "editor ✎");
    const longest = "é".repeat(128);
    await expectNoContent(await post(`${base("panes")}/rename-pane`, { paneId: second, title: longest }));
    assert.equal(await show(second!, "#{pane_title}"), longest);

    await expectNoContent(await post(`${base("panes")}/kill-pane`, { paneId: third }));
    assert.deepEqual(await paneIds("panes"), [first, second]);
  });

  test("a pane of another session cannot be touched through this one", async () => {
    const [foreign] = await paneIds("other");
    const title = await show(foreign!, "#{pane_title}");
    const [own] = await paneIds("panes");
    const calls: Array<[string, unknown]> = [
      ["select-pane", { paneId: foreign }],
      ["rename-pane", { paneId: foreign, title: "hijacked" }],
      ["split-pane", { paneId: foreign, direction: "vertical" }],
      ["kill-pane", { paneId: foreign }],
    ];
    for (const [route, body] of calls) {
      await expectError(
        await post(`${base("panes")}/${route}`, body),
        404,
        "PANE_NOT_FOUND",
        "pane not found",
      );
    }
    assert.deepEqual(await paneIds("other"), [foreign]);
    assert.equal(await show(foreign!, "#{pane_title}"), title);
    // Through a session that does not exist: the session is what is missing.
    await expectError(await post(`${base("nope")}/kill-pane`, { paneId: own }), 404, "SESSION_NOT_FOUND");
    assert.ok((await paneIds("panes")).includes(own!));
  });

  test("an unknown pane is 404 PANE_NOT_FOUND", async () => {
    const calls: Array<[string, unknown]> = [
      ["select-pane", { paneId: "%99999" }],
      ["rename-pane", { paneId: "%99999", title: "t" }],
      ["split-pane", { paneId: "%99999", direction: "horizontal" }],
      ["kill-pane", { paneId: "%99999" }],
    ];
    for (const [route, body] of calls) {
      await expectError(await post(`${base("panes")}/${route}`, body), 404, "PANE_NOT_FOUND");
    }
  });

  test("in a session group a shared pane belongs to every session of the group", async () => {
    const [shared] = await paneIds("g1");
    assert.deepEqual(await paneIds("g2"), [shared]);
    await expectNoContent(await post(`${base("g1")}/rename-pane`, { paneId: shared, title: "via g1" }));
    await expectNoContent(await post(`${base("g2")}/rename-pane`, { paneId: shared, title: "via g2" }));
    assert.equal(await show(shared!, "#{pane_title}"), "via g2");
  });
});

describe("bad requests are 400 INVALID_REQUEST with the spec's messages, never 500", () => {
  const windowName =
    "window name must be 1-64 characters (letters, digits, dots, hyphens, underscores, spaces)";
  const routes = [
    "select-window",
    "select-pane",
    "rename-window",
    "rename-pane",
    "new-window",
    "kill-window",
    "kill-pane",
    "split-pane",
  ];

  test("a bad session name in the path is refused before the body is read", async () => {
    for (const bad of ["a%20b", "x:y", "x%3Ay", "-t", "a".repeat(65), "%E2%9C%8E"]) {
      for (const route of routes) {
        await expectError(
          await post(`${base(bad)}/${route}`, "{not json"),
          400,
          "INVALID_REQUEST",
          "invalid session name",
        );
        await expectError(
          await post(`${base(bad)}/${route}`, { paneId: "%0", index: 0 }),
          400,
          "INVALID_REQUEST",
          "invalid session name",
        );
      }
      await expectError(
        await server.api(`${base(bad)}/windows`),
        400,
        "INVALID_REQUEST",
        "invalid session name",
      );
      await expectError(
        await server.api(`${base(bad)}/panes`),
        400,
        "INVALID_REQUEST",
        "invalid session name",
      );
    }
  });

  test("value checks", async () => {
    const [pane] = await paneIds("panes");
    const cases: Array<[string, unknown, string]> = [
      ["select-window", { index: -1 }, "index must be >= 0"],
      ["kill-window", { index: -2 }, "index must be >= 0"],
      ["rename-window", { index: -1, name: "ok" }, "index must be >= 0"],
      ["rename-window", { index: 0, name: "a:b" }, windowName],
      ["rename-window", { index: 0, name: "x".repeat(65) }, windowName],
      ["rename-window", { index: 0, name: "" }, windowName],
      ["rename-window", { index: 0, name: "   " }, windowName],
      ["rename-window", { index: 0 }, windowName],
      ["rename-window", { index: 0, name: "tab\there" }, windowName],
      ["rename-window", { index: 0, name: "naïve" }, windowName],
      ["select-pane", { paneId: "3" }, "paneId must start with %"],
      ["select-pane", {}, "paneId must start with %"],
      ["select-pane", { paneId: "" }, "paneId must start with %"],
      ["kill-pane", { paneId: "%-t" }, "paneId must start with %"],
      ["kill-pane", { paneId: "=panes:0" }, "paneId must start with %"],
      ["rename-pane", { paneId: pane, title: "a\nb" }, "title must be 1-128 characters"],
      ["rename-pane", { paneId: pane, title: "trailing\n" }, "title must be 1-128 characters"],
      ["rename-pane", { paneId: pane, title: "t".repeat(129) }, "title must be 1-128 characters"],
      ["rename-pane", { paneId: pane, title: "" }, "title must be 1-128 characters"],
      ["rename-pane", { paneId: pane }, "title must be 1-128 characters"],
      ["rename-pane", { title: "ok" }, "paneId must start with %"],
      ["split-pane", { paneId: pane, direction: "diagonal" }, "direction must be vertical or horizontal"],
      ["split-pane", { paneId: pane }, "direction must be vertical or horizontal"],
      ["split-pane", { direction: "vertical" }, "paneId must start with %"],
    ];
    for (const [route, body, message] of cases) {
      await expectError(await post(`${base("panes")}/${route}`, body), 400, "INVALID_REQUEST", message);
    }
    assert.notEqual(await show(pane!, "#{pane_title}"), "trailing");
  });

  test("shape errors: empty, malformed, unknown fields, wrong types, trailing data", async () => {
    const [pane] = await paneIds("panes");
    const bodyRoutes = routes.filter((r) => r !== "new-window");
    for (const route of bodyRoutes) {
      for (const raw of ["", "   ", "{", "{not json", "null", "[]", '"text"', "7", '{"unknown":1}']) {
        await expectError(
          await post(`${base("panes")}/${route}`, raw),
          400,
          "INVALID_REQUEST",
          "invalid json body",
        );
      }
      await expectError(
        await post(`${base("panes")}/${route}`, "{} {}"),
        400,
        "INVALID_REQUEST",
        "invalid json body: multiple json values",
      );
      // No body at all.
      await expectError(
        await server.api(`${base("panes")}/${route}`, { method: "POST" }),
        400,
        "INVALID_REQUEST",
      );
    }
    const wrongTypes: Array<[string, unknown]> = [
      ["select-window", { index: "1" }],
      ["select-window", { index: 1.5 }],
      ["select-window", { index: null }],
      ["select-window", { index: true }],
      ["kill-window", { index: [0] }],
      ["select-window", { index: 0, extra: 1 }],
      ["rename-window", { index: 0, name: 7 }],
      ["rename-window", { index: "0", name: "ok" }],
      ["select-pane", { paneId: 1 }],
      ["kill-pane", { paneId: [pane] }],
      ["rename-pane", { paneId: pane, title: null }],
      ["rename-pane", { paneId: pane, title: "ok", color: "red" }],
      ["split-pane", { paneId: pane, direction: 1 }],
      ["split-pane", { paneId: pane, direction: { v: 1 } }],
    ];
    for (const [route, body] of wrongTypes) {
      await expectError(
        await post(`${base("panes")}/${route}`, body),
        400,
        "INVALID_REQUEST",
        "invalid json body",
      );
    }
    // Numbers no integer type holds were decode errors in Go.
    await expectError(
      await post(`${base("panes")}/select-window`, '{"index":1e21}'),
      400,
      "INVALID_REQUEST",
      "invalid json body",
    );
    await expectError(
      await post(`${base("panes")}/select-window`, '{"index":1e400}'),
      400,
      "INVALID_REQUEST",
      "invalid json body",
    );
  });

  test("the server logged no internal error", () => {
    assert.doesNotMatch(server.logs(), /INTERNAL_ERROR|unhandled error|"level":50/);
  });
});

describe("GET /api/fs/dirs through the server", () => {
  const dirs = async (query: string) => {
    const res = await server.api(`/api/fs/dirs${query}`);
    assert.equal(res.status, 200);
    return ((await res.json()) as { data: { dirs: string[] } }).data.dirs;
  };

  test("lists $HOME by default, filters by prefix, reads the first of repeated parameters", async () => {
    assert.deepEqual(
      await dirs(""),
      [".config", "photos", "Projects"].map((d) => join(home, d)),
    );
    assert.deepEqual(await dirs("?prefix=~/p&limit=1"), [join(home, "photos")]);
    assert.deepEqual(await dirs("?prefix=~/P&limit=abc"), [join(home, "photos"), join(home, "Projects")]);
    assert.deepEqual(await dirs(`?prefix=${encodeURIComponent(`${home}/pr`)}`), [join(home, "Projects")]);
    assert.deepEqual(await dirs("?prefix=~/p&prefix=~/.&limit=1&limit=5"), [join(home, "photos")]);
    assert.deepEqual(await dirs("?prefix=relative"), []);
    assert.deepEqual(await dirs("?prefix=~root"), []);
    assert.deepEqual(await dirs("?prefix=/no/such/dir/"), []);
  });

  test("needs the token like every /api route", async () => {
    const res = await server.api("/api/fs/dirs", { auth: false });
    assert.equal(res.status, 401);
  });
});
