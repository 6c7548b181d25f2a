// Writing config.toml without losing the user's file (ADR 0014): one setting's line is edited in place (its comment
// kept) or a line is added at the top level, the result is parsed again to prove it is valid TOML that says what
// was meant, and the file is replaced atomically (a temp file renamed over it), mode 0600.
import { chmodSync, linkSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { ConfigError } from "./kinds.js";
import { parseToml, readConfigText } from "./read.js";
import { ALIASES, fileSetting, type SettingKey, type Settings } from "./schema.js";
import {
  fullPath,
  insertTopLevel,
  replaceValue,
  scanToml,
  type TomlAssignment,
  type TomlLayout,
} from "./tomlLines.js";

/** The assignment that sets `key` (`token = …` at the top level, or `[server] token`), if any. */
export function assignmentOf(layout: TomlLayout, key: SettingKey): TomlAssignment | undefined {
  return layout.assignments.find((a) => {
    const path = fullPath(a);
    return (path.length === 1 && fileSetting(path[0]!) === key) || ALIASES.get(path.join(".")) === key;
  });
}

/**
 * `text` with `key` set to the TOML value `source` (`"abc"`, `6000`): its line's value replaced, else a new line
 * at the top level. Throws ConfigError unless the result parses and reads back as `expected`.
 */
export function setSetting<K extends SettingKey>(
  text: string,
  key: K,
  source: string,
  expected: Settings[K],
): string {
  const layout = scanToml(text);
  const at = assignmentOf(layout, key);
  const next = at ? replaceValue(text, at, source) : insertTopLevel(text, `${key} = ${source}`, layout);
  const read = readConfigText(next).values[key];
  if (read !== expected)
    throw new ConfigError(`could not set ${key}: the edited file reads it as ${JSON.stringify(read)}`);
  return next;
}

/** Replaces the file atomically with `content` after proving it is valid TOML; mode 0600. */
export function writeConfigFile(path: string, content: string): void {
  parseToml(content);
  const temp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(temp, content, { mode: 0o600 });
    chmodSync(temp, 0o600);
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/**
 * Creates the file with `content` unless it exists, atomically: the content is written to a temp file first and
 * linked into place, so a server that starts at the same moment on the same data dir (two windows opening the
 * workspace) either makes the file itself or finds the other one's complete file, never an empty one. Returns
 * whether this call created it. A filesystem without hard links falls back to an exclusive create.
 */
export function createConfigFile(path: string, content: string): boolean {
  const temp = `${path}.new-${process.pid}`;
  try {
    writeFileSync(temp, content, { mode: 0o600 });
    chmodSync(temp, 0o600);
    try {
      linkSync(temp, path);
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EEXIST") return false;
      if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP") throw error;
    }
    try {
      writeFileSync(path, content, { mode: 0o600, flag: "wx" });
      chmodSync(path, 0o600);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw error;
    }
  } finally {
    rmSync(temp, { force: true });
  }
}
