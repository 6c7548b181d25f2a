// The config file as the ops routes show and take it (spec §1.9, §10): the token's value is masked on the way
// out and put back on the way in (only the token's value is edited; every other byte is the client's), and the
// result is checked as the server will read it before it is written: valid TOML, every known key's value of the
// right type within its limits (src/server/settings/schema.ts), the auth rules; unknown keys come back as warnings.
import { TOKEN_MASK } from "../../protocol/ops.js";
import { assignmentOf } from "../settings/edit.js";
import { ConfigError, isLoopbackHost, splitListen } from "../settings/kinds.js";
import { type FileSettings, parseToml, readConfigText } from "../settings/read.js";
import { ALIASES, SETTING_KEYS, SETTINGS, type Setting } from "../settings/schema.js";
import { replaceValue, scanToml, valueSource } from "../settings/tomlLines.js";

export const CONFIG_MAX_BYTES = 256 * 1024;

/** A commented-out `token = …` line: group 1 is everything up to the value, group 2 the value. */
const COMMENTED_TOKEN = /^(\s*#\s*token\s*=\s*)(.*?)\s*$/i;
/** Any line that looks like a token line, commented or not: the mask's fallback on a file that is not TOML. */
const ANY_TOKEN = /^(\s*#?\s*token\s*=\s*)(.*?)\s*$/i;

function unquote(value: string): { inner: string; quote: string } {
  if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0]) {
    return { inner: value.slice(1, -1), quote: value[0] };
  }
  return { inner: value, quote: "" };
}

/** `prefix` + the mask in the value's own quotes; an empty value stays as it is. */
function maskLine(line: string, pattern: RegExp): string {
  const m = pattern.exec(line);
  if (!m) return line;
  const { inner, quote } = unquote(m[2]!);
  if (!inner) return line;
  return `${m[1]}${quote || '"'}${TOKEN_MASK}${quote || '"'}`;
}

/** Which lines hold commented-out token values. */
const commentedTokenLines = (text: string): number[] =>
  scanToml(text).commentLines.filter((i) => COMMENTED_TOKEN.test(text.split("\n")[i]!.replace(/\r$/, "")));

/** The token values a parsed file holds: `token`, and its aliases (`[server] token`) however they were written. */
function tokenValues(doc: Record<string, unknown>): string[] {
  const paths = ["token", ...[...ALIASES].filter(([, key]) => key === "token").map(([path]) => path)];
  return paths
    .map((path) =>
      path
        .split(".")
        .reduce<unknown>(
          (node, part) =>
            node && typeof node === "object" ? (node as Record<string, unknown>)[part] : undefined,
          doc,
        ),
    )
    .filter((v): v is string => typeof v === "string" && v.trim() !== "");
}

/**
 * The file with every token value replaced by the mask: the token setting's value (its comment kept) and the
 * values of commented-out token lines. A file that is not valid TOML (edited by hand) is masked line by line.
 */
export function maskToken(content: string): string {
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(content);
  } catch {
    return content
      .split("\n")
      .map((line) => maskLine(line, ANY_TOKEN))
      .join("\n");
  }
  const secrets = tokenValues(doc);
  let out = content;
  const active = assignmentOf(scanToml(content), "token");
  if (active && secrets.length > 0) {
    out = replaceValue(
      out,
      active,
      valueSource(content, active).startsWith("'") ? `'${TOKEN_MASK}'` : `"${TOKEN_MASK}"`,
    );
  } else {
    // A token the scanner does not place (inside an inline table: `server = { token = "…" }`) is still never shown.
    for (const secret of secrets) out = out.replaceAll(secret, TOKEN_MASK);
  }
  const lines = out.split("\n");
  for (const i of commentedTokenLines(out)) {
    const cr = lines[i]!.endsWith("\r") ? "\r" : "";
    lines[i] = maskLine(lines[i]!.replace(/\r$/, ""), COMMENTED_TOKEN) + cr;
  }
  return lines.join("\n");
}

const noTokenToKeep = (line: number) =>
  new ConfigError(
    `line ${line}: the token is masked but the config file has no token to keep; write the token itself`,
    line,
  );

/**
 * Puts the stored token back where the new content has the mask: the token setting's masked value gets the
 * current file's token (as it was written there), the i-th masked commented-out token line the i-th commented
 * value of the current file. Only those values change. Throws ConfigError.
 */
export function unmaskToken(next: string, current: string): string {
  const nextToken = readConfigText(next);
  let out = next;
  const masked = assignmentOf(nextToken.layout, "token");
  if (masked && nextToken.values.token === TOKEN_MASK) {
    const line = masked.line + 1;
    let stored: string | undefined;
    try {
      const read = readConfigText(current);
      const at = assignmentOf(read.layout, "token");
      if (at && read.values.token) stored = valueSource(current, at);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      throw new ConfigError(
        `line ${line}: the token is masked but the config file's token cannot be read (${error.message}); write the token itself`,
        line,
      );
    }
    if (!stored) throw noTokenToKeep(line);
    out = replaceValue(out, masked, stored);
  }
  const originals = commentedTokenLines(current).map(
    (i) => COMMENTED_TOKEN.exec(current.split("\n")[i]!.replace(/\r$/, ""))![2]!,
  );
  const lines = out.split("\n");
  commentedTokenLines(out).forEach((i, index) => {
    const raw = lines[i]!;
    const cr = raw.endsWith("\r") ? "\r" : "";
    const m = COMMENTED_TOKEN.exec(raw.replace(/\r$/, ""))!;
    if (unquote(m[2]!).inner !== TOKEN_MASK) return;
    const original = originals[index];
    if (original === undefined || !unquote(original).inner) throw noTokenToKeep(i + 1);
    lines[i] = `${m[1]}${original}${cr}`;
  });
  return lines.join("\n");
}

/**
 * Checks a whole file as the server will read it (src/server/settings/read.ts), plus what a write through the API
 * must meet: each setting's `apiCheck` (a token of at least 16 characters), a token unless `auth = "none"` (a file
 * without one would make the next start generate a new one, locking out every client that has the old), and
 * `auth = "none"` only with a loopback `listen`. Throws ConfigError naming the line; returns the warnings.
 */
export function validateConfig(content: string): { warnings: string[]; file: FileSettings } {
  if (Buffer.byteLength(content) > CONFIG_MAX_BYTES) {
    throw new ConfigError(`content is larger than ${CONFIG_MAX_BYTES} bytes`);
  }
  if (content.includes("\u0000")) throw new ConfigError("content must be text (a NUL byte was found)");
  const file = readConfigText(content);
  for (const key of SETTING_KEYS) {
    const value = file.values[key];
    if (value === undefined) continue;
    const line = file.lines[key]!;
    if (value === TOKEN_MASK) throw new ConfigError(`line ${line}: ${key} cannot be "${TOKEN_MASK}"`, line);
    const problem = (SETTINGS[key] as Setting<unknown>).apiCheck?.(value);
    if (problem) throw new ConfigError(`line ${line}: invalid ${key}: ${problem}`, line);
  }
  checkAuthSettings(file);
  return { warnings: file.warnings, file };
}

function checkAuthSettings(file: FileSettings): void {
  const { auth, listen, token } = file.values;
  if (auth === "none") {
    const host = splitListen(listen ?? SETTINGS.listen.default).host;
    if (!isLoopbackHost(host)) {
      throw new ConfigError(`auth = "none" is allowed only with a loopback listen address, not "${listen}"`);
    }
    return;
  }
  if (!token) {
    throw new ConfigError(
      `the token cannot be removed or left empty: every client needs it (keep the line token = "${TOKEN_MASK}" ` +
        'to keep the current token, or set auth = "none" to run without one, loopback only)',
    );
  }
}
