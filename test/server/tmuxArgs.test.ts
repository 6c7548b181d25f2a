// What the API hands tmux (issue 14, items 4 and 7), against the real server and a real tmux on a private socket:
// names and titles tmux would read as flags or cannot take (a window renamed `-kill-server`, a title with NUL or
// escape characters) are refused with the spec's 400 before tmux sees them, values that merely start with "-"
// deeper inside tmux's argument list are passed after `--`, and new windows and splits start in the directory
// of the pane they come from, not in the server's.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Messages } from "../../src/protocol/validate.js";
import { Tmux } from "../../src/server/tmux/adapter.js";
import { type ServerHandle, startServer } from "./serverFixture.js";
import { startTmux, type TmuxFixture, waitFor } from "./tmuxFixture.js";

let tmux: TmuxFixture;
let server: ServerHandle;
let work: string;

before(async () => {
  work = realpathSync(mkdtempSync(join(tmpdir(), "sentinel-args-")));
  for (const d of ["one", "two"]) mkdirSync(join(work, d));
  tmux = await startTmux();
  await tmux.newSession("args");
  server = await startServer({ tmuxSocket: tmux.socket });
});

after(async () => {
  await server?.stop();
  await tmux?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

const base = (s: string) => `/api/tmux/sessions/${s}`;
const post = (path: string, json: unknown) => server.api(path, { method: "POST", json });
const show = async (target: string, format: string) =>
  (await tmux.tmux("display-message", "-p", "-t", target, format)).trim();

async function expectError(res: Response, status: number, code: string, message?: string) {
  const text = await res.text();
  assert.equal(res.status, status, text);
  const body = JSON.parse(text) as { error: { code: string; message: string } };
  assert.equal(body.error.code, code, text);
  if (message !== undefined) assert.equal(body.error.message, message);
}

async function expectNoContent(res: Response) {
  const text = await res.text();
  assert.equal(res.status, 204, text);
}

/** The tmux server still runs with its sessions, and the API still answers. */
const serverAlive = async () => {
  const sessions = (await tmux.tmux("list-sessions", "-F", "#{session_name}")).split("\n");
  assert.ok(sessions.includes("args"), sessions.join(","));
  assert.equal((await server.api("/api/meta")).status, 200);
};

describe("names and titles tmux would read as flags or cannot take", () => {
  test("a window name beginning with '-' is refused with 400, and tmux keeps running", async () => {
    const refused = ["-kill-server", "-t", "-", "--", "-n x"];
    for (const name of refused) {
      await expectError(
        await post(`${base("args")}/rename-window`, { index: 0, name }),
        400,
        "INVALID_REQUEST",
        Messages.windowName,
      );
    }
    // tmux's automatic-rename may move the name from `env` to `bash` meanwhile: none of the refused names took.
    const after = await show("=args:0", "#{window_name}");
    assert.ok(!after.startsWith("-") && !refused.includes(after), `window name after the refusals: ${after}`);
    await serverAlive();
  });

  test("a '-' inside a window name is kept as it is", async () => {
    await expectNoContent(await post(`${base("args")}/rename-window`, { index: 0, name: "build -t x" }));
    assert.equal(await show("=args:0", "#{window_name}"), "build -t x");
  });

  test("a session name beginning with '-' is refused, on create and on rename", async () => {
    for (const name of ["-kill-server", "-t"]) {
      await expectError(
        await post("/api/tmux/sessions", { name }),
        400,
        "INVALID_REQUEST",
        Messages.sessionName,
      );
      await expectError(
        await server.api(base("args"), { method: "PATCH", json: { newName: name } }),
        400,
        "INVALID_REQUEST",
        Messages.sessionName,
      );
    }
    await serverAlive();
  });

  test("a pane title with NUL or another control character is refused with 400", async () => {
    const paneId = await show("=args:0", "#{pane_id}");
    const before = await show(paneId, "#{pane_title}");
    for (const title of [
      "a\u0000b",
      "bell\u0007",
      "\u001b]0;owned\u0007",
      "tab\there",
      "c1\u009bx",
      "del\u007f",
    ]) {
      await expectError(
        await post(`${base("args")}/rename-pane`, { paneId, title }),
        400,
        "INVALID_REQUEST",
        Messages.paneTitle,
      );
    }
    assert.equal(await show(paneId, "#{pane_title}"), before);
    // Titles that begin with "-" or hold any printable Unicode are fine.
    for (const title of ["-kill-server", "✎ build ünïcode 🚀"]) {
      await expectNoContent(await post(`${base("args")}/rename-pane`, { paneId, title }));
      assert.equal(await show(paneId, "#{pane_title}"), title);
    }
    await serverAlive();
  });
});

describe("positional values after `--` (the adapter, against the private tmux)", () => {
  test("rename-session, send-keys -l and set-option take values that begin with '-'", async () => {
    const adapter = new Tmux({ socketPath: tmux.socket });
    await tmux.tmux("new-session", "-d", "-s", "dash", "-x", "80", "-y", "20", "cat");
    // A session option through `=name:` (tmux 3.3a's set-option refuses `-t =name`) with a value like a flag.
    await adapter.setSessionOption("dash", "@sentinel-test", "-k");
    assert.equal((await tmux.tmux("show-options", "-v", "-t", "=dash:", "@sentinel-test")).trim(), "-k");
    // Text typed into a pane (a restore in full mode) that begins with "-": typed, not read as flags.
    const paneId = await show("=dash:0", "#{pane_id}");
    await adapter.arrangeWindow({
      session: "dash",
      index: 0,
      typed: [{ paneId, text: "-l -X", enter: false }],
    });
    await waitFor(async () => (await tmux.tmux("capture-pane", "-p", "-t", paneId)).includes("-l -X"));
    await adapter.renameSession("dash", "dash-2");
    await tmux.tmux("has-session", "-t", "=dash-2");
    await tmux.tmux("kill-session", "-t", "=dash-2");
  });
});

describe("new windows and splits start where the pane they come from is", () => {
  test("split-pane starts in the split pane's directory, new-window in the active pane's", async () => {
    const one = join(work, "one");
    const two = join(work, "two");
    // Window 0 in `one`; window 1 (the current one, so the session's active pane) in `two`.
    await tmux.tmux("new-session", "-d", "-s", "dirs", "-x", "120", "-y", "40", "-c", one);
    await tmux.tmux("new-window", "-t", "=dirs:1", "-c", two);
    const first = await show("=dirs:0", "#{pane_id}");
    await waitFor(async () => (await show(first, "#{pane_current_path}")) === one);
    await waitFor(async () => (await show("=dirs:1", "#{pane_current_path}")) === two);

    const panesBefore = new Set(
      (await tmux.tmux("list-panes", "-s", "-t", "=dirs:", "-F", "#{pane_id}")).split("\n"),
    );
    await expectNoContent(await post(`${base("dirs")}/split-pane`, { paneId: first, direction: "vertical" }));
    const split = (await tmux.tmux("list-panes", "-t", "=dirs:0", "-F", "#{pane_id}"))
      .split("\n")
      .find((id) => id && !panesBefore.has(id));
    assert.ok(split, "a new pane in window 0");
    await waitFor(
      async () => (await show(split, "#{pane_current_path}")) === one,
      5000,
      "the split in `one`",
    );

    const windowsBefore = (await tmux.tmux("list-windows", "-t", "=dirs", "-F", "#{window_index}")).split(
      "\n",
    );
    await expectNoContent(await server.api(`${base("dirs")}/new-window`, { method: "POST" }));
    const created = (await tmux.tmux("list-windows", "-t", "=dirs", "-F", "#{window_index}"))
      .split("\n")
      .find((i) => i && !windowsBefore.includes(i));
    assert.ok(created, "a new window");
    await waitFor(
      async () => (await show(`=dirs:${created}`, "#{pane_current_path}")) === two,
      5000,
      "the new window in `two`",
    );
  });
});
