// Which tmux calls the query shell may start (ADR 0022): only ones that read, the watchtower's real listing and
// capture chains among them; a mutation anywhere in a chain, a display-message that would show on a client, an
// if-shell that runs a shell or a command that changes something: not read-only (they run the ordinary way).
import assert from "node:assert/strict";
import { test } from "node:test";
import { capturePanes, type TmuxRunner, watchListing } from "../../src/server/tmux/queries.js";
import { readOnlyCall } from "../../src/server/tmux/readOnly.js";

/** The argv the watchtower's queries hand their runner. */
async function argsOf(call: (run: TmuxRunner) => Promise<unknown>): Promise<string[]> {
  let seen: string[] = [];
  await call(async (args) => {
    seen = args;
    return "";
  }).catch(() => undefined);
  return seen;
}

test("the watchtower's listing with its inline captures, and its capture chain, only read", async () => {
  const listing = await argsOf((run) =>
    watchListing(run, undefined, { panes: ["%0", "%12"], activeSince: 1700000000, lines: 50, nonce: "abc" }),
  );
  assert.ok(listing.includes("if-shell"), "the chain holds the inline captures");
  assert.equal(readOnlyCall(listing), true);
  const captures = await argsOf((run) => capturePanes(run, ["%3", "%4"], 20, "abc"));
  assert.ok(captures.length > 0);
  assert.equal(readOnlyCall(captures), true);
});

test("listings, has-session and printing display-message / capture-pane are read-only", () => {
  for (const args of [
    ["list-sessions", "-F", "#{session_name}"],
    ["list-windows", "-a", "-F", "#{window_id}"],
    ["list-panes", "-s", "-t", "=a:", "-F", "#{pane_id}"],
    ["list-clients", "-F", "#{client_name}"],
    ["has-session", "-t", "=a"],
    ["display-message", "-p", "-t", "%1", "#{session_name}"],
    ["capture-pane", "-p", "-t", "%1", "-S", "-50"],
  ])
    assert.equal(readOnlyCall(args), true, args.join(" "));
});

test("anything that changes tmux, shows something or runs a shell is not", () => {
  for (const args of [
    [],
    ["kill-session", "-t", "=a"],
    ["new-session", "-d", "-s", "x"],
    ["list-sessions", ";", "kill-server"],
    ["display-message", "-t", "%1", "hello"],
    ["capture-pane", "-t", "%1"],
    ["if-shell", "-t", "%1", "true", "display-message -p x"],
    ["if-shell", "-F", "-t", "%1", "#{pane_active}", "kill-pane -t %1"],
    ["if-shell", "-F", "1", "display-message -p x ; kill-server"],
    ["if-shell", "-F", "1", "display-message -p 'x' ; run-shell y"],
    ["if-shell", "-F", "-b", "1", "display-message -p x"],
    ["if-shell", "-F", "1"],
    ["run-shell", "true"],
    ["set-option", "-g", "status", "off"],
    ["send-keys", "-t", "%1", "ls", "Enter"],
  ])
    assert.equal(readOnlyCall(args), false, args.join(" "));
});
