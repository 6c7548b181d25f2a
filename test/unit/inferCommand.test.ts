import assert from "node:assert/strict";
import { test } from "node:test";
import { sessionHash } from "../../src/server/store/sessionsRepo.js";
import { inferCommand } from "../../src/server/tmux/inferCommand.js";

test("inferCommand follows the spec's table", () => {
  const table: Array<[string, string]> = [
    ["npx codex --full-auto", "codex"],
    ["NODE_ENV=prod claude", "claude"],
    ["/usr/local/bin/claude", "claude"],
    ["env KEY=val node server.js", "node"],
    ["sudo python3 script.py", "python3"],
    ["yarn dlx create-app", "dlx"],
    ["exec script.pl", "script"],
    ["'quoted command'", "quoted"],
    ["--flag-only", ""],
    ["KEY=val", ""],
    ["", ""],
  ];
  for (const [input, expected] of table) assert.equal(inferCommand(input), expected, input);
});

test("sessionHash matches the golden value", () => {
  assert.equal(sessionHash("test", 1700000000), "47bb9a80cd8e");
});
