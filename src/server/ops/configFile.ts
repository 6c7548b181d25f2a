// The config file as the ops routes show and take it (spec §1.9, §10): the token's value is masked on the way
// out and restored from the file on the way in, and a patched file is checked before it is written: every line
// must be `key = value`, a known key's value must parse as the server would read it (the server otherwise falls
// back to the default in silence), and unknown keys come back as warnings.
import { TOKEN_MASK } from "../../protocol/ops.js";
import { ConfigError, isLoopbackHost, parseDuration, parsePort, splitListen } from "../config.js";

export const CONFIG_MAX_BYTES = 256 * 1024;

/** An active or commented-out `token = …` line: group 1 is everything up to the value, group 2 the value. */
const TOKEN_LINE = /^(\s*#?\s*token\s*=\s*)(.*?)\s*$/i;

function unquote(value: string): { inner: string; quote: string } {
  if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0]) {
    return { inner: value.slice(1, -1), quote: value[0] };
  }
  return { inner: value, quote: "" };
}

/** The file with every token value (active lines and comments alike) replaced by the mask. */
export function maskToken(content: string): string {
  return content
    .split("\n")
    .map((line) => {
      const m = TOKEN_LINE.exec(line);
      if (!m) return line;
      const { inner, quote } = unquote(m[2]!);
      if (!inner) return line;
      return `${m[1]}${quote || '"'}${TOKEN_MASK}${quote || '"'}`;
    })
    .join("\n");
}

export class ConfigValidationError extends Error {}

/**
 * Puts the stored token values back where the new content has the mask: the i-th masked token line gets the
 * i-th token value of the current file (an active line falls back to the current active token).
 */
export function unmaskToken(next: string, current: string): string {
  const originals = current
    .split("\n")
    .map((line) => TOKEN_LINE.exec(line))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => ({ value: m[2]!, active: !m[1]!.trimStart().startsWith("#") }));
  const activeOriginal = originals.find((o) => o.active && unquote(o.value).inner);
  let index = 0;
  return next
    .split("\n")
    .map((line, i) => {
      const m = TOKEN_LINE.exec(line);
      if (!m) return line;
      const original = originals[index++];
      if (unquote(m[2]!).inner !== TOKEN_MASK) return line;
      const active = !m[1]!.trimStart().startsWith("#");
      const value =
        original && original.active === active && unquote(original.value).inner
          ? original.value
          : active
            ? activeOriginal?.value
            : undefined;
      if (value === undefined) {
        throw new ConfigValidationError(
          `line ${i + 1}: the token is masked but the config file has no token to keep; write the token itself`,
        );
      }
      return `${m[1]}${value}`;
    })
    .join("\n");
}

type Check = (value: string) => string | undefined;

const bool: Check = (v) =>
  /^(1|true|yes|on|0|false|no|off)$/i.test(v)
    ? undefined
    : "expected a boolean (true/false, 1/0, yes/no, on/off)";
const duration: Check = (v) =>
  parseDuration(v) !== undefined ? undefined : 'expected a duration > 0 such as "150ms", "2s" or "1m30s"';
const durationOrOff: Check = (v) => (/^(0|off)$/i.test(v) ? undefined : duration(v));
const positiveInt: Check = (v) =>
  /^\d+$/.test(v) && Number(v) > 0 && Number.isSafeInteger(Number(v)) ? undefined : "expected an integer > 0";
const percent: Check = (v) => {
  const n = Number(v);
  return v !== "" && Number.isFinite(n) && n >= 0 && n <= 100
    ? undefined
    : "expected a percentage from 0 to 100";
};
const oneOf =
  (...values: string[]): Check =>
  (v) =>
    values.includes(v.toLowerCase()) ? undefined : `expected one of ${values.join(", ")}`;
const listen: Check = (v) => {
  try {
    parsePort(splitListen(v).port);
    return undefined;
  } catch (error) {
    return error instanceof ConfigError ? error.message : "expected host:port";
  }
};
const token: Check = (v) =>
  v.length >= 16 && !/\s/.test(v)
    ? undefined
    : `expected at least 16 characters without spaces (or "${TOKEN_MASK}" to keep the current token)`;
const origins: Check = (v) => {
  for (const entry of v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (entry === "*") continue;
    try {
      const url = new URL(entry);
      if (url.protocol !== "http:" && url.protocol !== "https:" && url.protocol !== "vscode-webview:")
        return `origin "${entry}": expected http(s)://host[:port]`;
    } catch {
      return `origin "${entry}": expected http(s)://host[:port]`;
    }
  }
  return undefined;
};

const hosts: Check = (v) => {
  for (const entry of v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+)(:\d{1,5})?$/.test(entry))
      return `host "${entry}": expected a host name or address, optionally with :port`;
  }
  return undefined;
};

/** Every key the server reads (src/server/config.ts, spec §10) and how its value must look. */
export const CONFIG_KEYS: Record<string, Check> = {
  listen,
  token,
  auth: oneOf("token", "none"),
  allowed_hosts: hosts,
  allowed_origins: origins,
  log_level: oneOf("trace", "debug", "info", "warn", "error", "fatal", "silent"),
  rate_limit_per_minute: positiveInt,
  auth_failures_per_minute: positiveInt,
  access_token_ttl_seconds: positiveInt,
  refresh_token_ttl_seconds: positiveInt,
  allow_query_token: bool,
  recording_max_bytes: positiveInt,
  recording_max_duration_seconds: positiveInt,
  recording_max_active: positiveInt,
  watchtower_enabled: bool,
  watchtower_mode: oneOf("scan", "events", "poll"),
  watchtower_tick_interval: duration,
  watchtower_probe_interval: duration,
  watchtower_safety_interval: duration,
  watchtower_debounce: duration,
  watchtower_min_collect_interval: duration,
  watchtower_capture_lines: positiveInt,
  watchtower_capture_timeout: duration,
  watchtower_journal_rows: positiveInt,
  watchtower_timeline_rows: positiveInt,
  watchtower_max_monitors: positiveInt,
  presence_ttl: duration,
  recovery_enabled: bool,
  recovery_snapshot_interval: duration,
  recovery_capture_lines: positiveInt,
  recovery_max_snapshots: positiveInt,
  recovery_restore_timeout: duration,
  recovery_boot_id_path: (v) => (v.startsWith("/") ? undefined : "expected an absolute path"),
  runbook_step_timeout: duration,
  runbook_run_timeout: duration,
  runbook_max_output_bytes: positiveInt,
  runbook_max_concurrent: positiveInt,
  scheduler_tick: duration,
  ops_service_manager: oneOf("auto", "systemd", "none"),
  ops_health_interval: durationOrOff,
  ops_cpu_threshold: percent,
  ops_memory_threshold: percent,
  ops_disk_threshold: percent,
  ops_metrics_interval: durationOrOff,
  ops_alerts_interval: durationOrOff,
  ops_timeline_interval: durationOrOff,
  ops_timeline_rows: positiveInt,
  ops_timeline_max_age: durationOrOff,
  ops_command_timeout: durationOrOff,
};

/**
 * Checks a whole file as src/server/config.ts reads it. Throws ConfigValidationError (with the line number) on
 * a line that is not `key = value` or a known key's bad value; returns warnings for unknown or repeated keys.
 */
export function validateConfig(content: string): { warnings: string[] } {
  if (Buffer.byteLength(content) > CONFIG_MAX_BYTES) {
    throw new ConfigValidationError(`content is larger than ${CONFIG_MAX_BYTES} bytes`);
  }
  if (content.includes("\u0000"))
    throw new ConfigValidationError("content must be text (a NUL byte was found)");
  const warnings: string[] = [];
  const seen = new Map<string, number>();
  content.split(/\r?\n/).forEach((raw, i) => {
    const n = i + 1;
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith("[")) return;
    const eq = line.indexOf("=");
    if (eq < 0) throw new ConfigValidationError(`line ${n}: expected key = value`);
    const key = line.slice(0, eq).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key))
      throw new ConfigValidationError(`line ${n}: invalid key "${key}"`);
    const value = unquote(line.slice(eq + 1).trim()).inner.trim();
    const previous = seen.get(key);
    if (previous !== undefined)
      warnings.push(`line ${n}: "${key}" repeats line ${previous}; the last value wins`);
    seen.set(key, n);
    const check = CONFIG_KEYS[key];
    if (!check) {
      warnings.push(`line ${n}: unknown key "${key}" (ignored by this server)`);
      return;
    }
    // An empty value means "use the default", as the server reads it.
    if (value === "") return;
    if (value === TOKEN_MASK) throw new ConfigValidationError(`line ${n}: ${key} cannot be "${TOKEN_MASK}"`);
    const problem = check(value);
    if (problem) throw new ConfigValidationError(`line ${n}: invalid ${key}: ${problem}`);
  });
  return { warnings };
}

/**
 * The whole file's auth: unless it says `auth = "none"`, its last active `token` line must hold a token (a file
 * without one would make the next start generate a new one, locking out every client that has the old), and
 * `auth = "none"` is refused with a non-loopback `listen`. Throws ConfigValidationError.
 */
export function checkAuthSettings(content: string): void {
  let tokenValue = "";
  let auth = "";
  let listenValue = "";
  for (const raw of content.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith("[")) continue;
    const eq = line.indexOf("=");
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim();
    const value = unquote(line.slice(eq + 1).trim()).inner.trim();
    if (key === "token") tokenValue = value;
    else if (key === "auth") auth = value.toLowerCase();
    else if (key === "listen") listenValue = value;
  }
  if (auth === "none") {
    const host = listenValue ? splitListen(listenValue).host : "127.0.0.1";
    if (!isLoopbackHost(host)) {
      throw new ConfigValidationError(
        `auth = "none" is allowed only with a loopback listen address, not "${listenValue}"`,
      );
    }
    return;
  }
  if (!tokenValue) {
    throw new ConfigValidationError(
      `the token cannot be removed or left empty: every client needs it (keep the line token = "${TOKEN_MASK}" ` +
        'to keep the current token, or set auth = "none" to run without one, loopback only)',
    );
  }
}
