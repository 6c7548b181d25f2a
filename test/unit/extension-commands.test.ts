// The one command registry's typed ids (src/extension/commands/commandIds.ts) are exactly the commands the manifest
// contributes: a command added to one list and not the other fails here, not in a user's palette.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { CommandId } from "../../src/extension/commands/commandIds.js";

const manifest = JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8")) as {
  contributes: { commands: Array<{ command: string }> };
};

test("CommandId lists every contributed command and nothing else", () => {
  const contributed = manifest.contributes.commands.map((c) => c.command).sort();
  assert.deepEqual(Object.values(CommandId).sort(), contributed);
});
