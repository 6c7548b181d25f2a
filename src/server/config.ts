// Server configuration: CLI flags, then environment, then the data dir's config file, then defaults (spec §10).
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { loadOpsConfig, type OpsConfig } from "./ops/opsConfig.js";

export interface RateLimitConfig {
  /** Requests per window for one address on `/api/*`. */
  max: number;
  windowMs: number;
}

export interface AuthThrottleConfig {
  /** Failed authentications from one address before it is refused with 429. */
  maxFailures: number;
  windowMs: number;
}

export interface RecordingConfig {
  /** Largest cast file, in bytes; a recording stops with a `limit: size` marker when it gets there. */
  maxBytes: number;
  /** Longest recording, in seconds; then it stops with a `limit: duration` marker. */
  maxDurationSeconds: number;
  /** Recordings that may run at once. */
  maxActive: number;
}

export const WATCHTOWER_MODES = ["scan", "events", "poll"] as const;
export type WatchtowerMode = (typeof WATCHTOWER_MODES)[number];

export interface WatchtowerConfig {
  /** `watchtower_enabled`: off stops the collects; the APIs still answer from what is stored. */
  enabled: boolean;
  /**
   * `watchtower_mode` (ADR 0013): `scan` (the default) attaches nothing to tmux: it watches the tmux server's read
   * counter for pane output and lists and captures only what moved; `events` learns of changes from tmux
   * control-mode clients, one per session: opt-in, since tmux up to 3.5a (reportedly 3.7c) can crash
   * (SIGSEGV, every session lost) when a control client attaches while notices flow (ADR 0004); `poll`
   * collects everything every `tickIntervalMs`, like the Go server.
   */
  mode: WatchtowerMode;
  /**
   * `watchtower_tick_interval`: the period of `poll` mode, and of discovery while no tmux server runs (`scan` mode
   * lists every 2 s at least while its probe watches tmux).
   */
  tickIntervalMs: number;
  /** `watchtower_probe_interval`: how often `scan` mode looks at the tmux server's counters in /proc. */
  probeIntervalMs: number;
  /** `watchtower_safety_interval`: in `events` and `scan` modes, a full collect (every pane captured) this often. */
  safetyIntervalMs: number;
  /** `watchtower_debounce`: wait this long after a change notice before collecting. */
  debounceMs: number;
  /** `watchtower_min_collect_interval`: collects triggered by notices start at least this far apart. */
  minCollectIntervalMs: number;
  captureLines: number;
  captureTimeoutMs: number;
  journalRows: number;
  timelineRows: number;
  /** Most sessions watched by a control client at once; the others are seen by the safety collect. */
  maxMonitors: number;
  /** `presence_ttl`: how long a terminal's presence counts (30 s in the spec; shorter only for tests). */
  presenceTtlMs: number;
}

export interface RunbooksConfig {
  /** `runbook_step_timeout`: a step's time limit unless the step sets its own (spec: 30 s). */
  stepTimeoutMs: number;
  /** `runbook_run_timeout`: a run's time limit unless the runbook sets its own (spec: 5 min). */
  runTimeoutMs: number;
  /** `runbook_max_output_bytes`: output kept per step (head and tail; the middle is dropped). */
  maxOutputBytes: number;
  /** `runbook_max_concurrent`: jobs running at once; others wait as `queued`. */
  maxConcurrent: number;
  /** `scheduler_tick`: longest sleep between due checks (spec: 5 s). */
  schedulerTickMs: number;
}

export interface RecoveryConfig {
  /** `recovery_enabled`: off makes every /api/recovery/* route 503 RECOVERY_DISABLED and DELETE skip archiving. */
  enabled: boolean;
  /** `recovery_snapshot_interval`: the collect period (spec: 5 s). */
  snapshotIntervalMs: number;
  /** `recovery_max_snapshots`: snapshots kept per session (spec: 300). */
  maxSnapshots: number;
  /** `recovery_restore_timeout`: a restore job's time limit (spec: 5 min). */
  restoreTimeoutMs: number;
  /** `recovery_boot_id_path`: where the boot id is read (Linux procfs; tests point it at a file to fake a reboot). */
  bootIdPath: string;
}

export interface ServerConfig {
  host: string;
  port: number;
  dataDir: string;
  configPath: string;
  /**
   * `auth` (env SENTINEL_AUTH): `token` (the default) requires the token on every request; `none` serves
   * without one, and is refused unless the listen host is loopback. Nothing else ever switches auth off.
   */
  auth: AuthMode;
  /** The static token; empty only when `auth` is `none`. */
  token: string;
  /**
   * Where the token came from, for the start-up message: `generated` when this start made it and wrote it into
   * the config file (first start, or a file without a token).
   */
  tokenSource: "env" | "config" | "generated" | "none";
  allowedOrigins: string[];
  /**
   * `allowed_hosts` (env SENTINEL_ALLOWED_HOSTS, comma-separated): Host header names accepted besides loopback
   * names and the listen host (auth/host.ts), lower case.
   */
  allowedHosts: string[];
  tmuxSocket: string | undefined;
  logLevel: string;
  rateLimit: RateLimitConfig;
  authThrottle: AuthThrottleConfig;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /**
   * Accept `?token=` on the terminal stream endpoint `/api/sessions/{id}/ws` (its clients may have no other way).
   * Off by default: the Sentinel protocol never takes tokens in URLs (spec §5.2). Such URLs are never logged.
   */
  allowQueryToken: boolean;
  recording: RecordingConfig;
  watchtower: WatchtowerConfig;
  recovery: RecoveryConfig;
  runbooks: RunbooksConfig;
  /** The ops control plane: service manager, health thresholds, pushes, ops timeline retention. */
  ops: OpsConfig;
}

export class ConfigError extends Error {}

export type AuthMode = "token" | "none";

/** `auth`: `token` (also when unset) or `none`; any other value is an error, never a silent default. */
export function parseAuthMode(value: string | undefined): AuthMode {
  const v = value?.trim().toLowerCase();
  if (!v || v === "token") return "token";
  if (v === "none") return "none";
  throw new ConfigError(`invalid auth "${value}": expected "token" or "none"`);
}

/** A fresh static token: 24 random bytes, base64url (32 characters). */
export const generateToken = (): string => randomBytes(24).toString("base64url");

/** An active (not commented-out) `token = …` line. */
const ACTIVE_TOKEN_LINE = /^\s*token\s*=/;

/**
 * The config file with `token` set: the last active token line (the one the server reads) is replaced, or, when
 * there is none, a token line goes after the file's leading comments. Every other line is kept as it was.
 */
export function withToken(text: string, token: string): string {
  const lines = text.split("\n");
  const line = `token = "${token}"`;
  let last = -1;
  lines.forEach((l, i) => {
    if (ACTIVE_TOKEN_LINE.test(l)) last = i;
  });
  if (last >= 0) {
    lines[last] = line;
    return lines.join("\n");
  }
  let at = 0;
  while (at < lines.length && lines[at]!.trim().startsWith("#")) at++;
  lines.splice(at, 0, line);
  const out = lines.join("\n");
  return out.endsWith("\n") ? out : `${out}\n`;
}

/** Writes the config file atomically (a temp file renamed over it), mode 0600. */
function writeConfigFile(path: string, content: string): void {
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

export interface CliFlags {
  host?: string;
  port?: string;
  dataDir?: string;
  tmuxSocket?: string;
}

/** Flat `key = value` file; `#` and `[section]` lines skipped, one pair of surrounding quotes stripped. */
export function parseConfigFile(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith("[")) continue;
    const eq = line.indexOf("=");
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim();
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0]) {
      value = value.slice(1, -1);
    }
    values.set(key, value);
  }
  return values;
}

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SENTINEL_DATA_DIR?.trim()) return env.SENTINEL_DATA_DIR.trim();
  const home = env.HOME?.trim() || safeHomedir();
  return home ? join(home, ".sentinel") : join(tmpdir(), "sentinel");
}

function safeHomedir(): string {
  try {
    return homedir();
  } catch {
    return "";
  }
}

function configTemplate(token: string): string {
  return `# Sentinel companion server configuration (flat key = value; environment variables win).
# Created on first start. The token below authenticates every client: keep this file private (mode 0600).
# SENTINEL_TOKEN wins while it is set; this token is used whenever it is not.
token = "${token}"
# auth = "token"   # "none" serves without a token: loopback addresses only
# listen = "127.0.0.1:4040"
# allowed_hosts = ""   # Host header names accepted besides localhost, 127.x and the listen host
# allowed_origins = ""
# log_level = "info"
# rate_limit_per_minute = 6000
# auth_failures_per_minute = 20
# allow_query_token = false
# recording_max_bytes = 268435456
# recording_max_duration_seconds = 14400
# recovery_enabled = true
# recovery_snapshot_interval = "5s"
# recovery_max_snapshots = 300
# runbook_step_timeout = "30s"
# runbook_run_timeout = "5m"
# runbook_max_output_bytes = 65536
# runbook_max_concurrent = 5
`;
}

/** `1 true yes on` / `0 false no off` (spec §10); anything else is the default. */
function bool(value: string | undefined, fallback: boolean): boolean {
  const v = value?.trim().toLowerCase();
  if (v === "1" || v === "true" || v === "yes" || v === "on") return true;
  if (v === "0" || v === "false" || v === "no" || v === "off") return false;
  return fallback;
}

function positiveInt(value: string | undefined, fallback: number): number {
  if (value === undefined || value.trim() === "") return fallback;
  const n = Number(value.trim());
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/** A Go duration (`150ms`, `2s`, `1m30s`, `1.5s`) in milliseconds; undefined when invalid or not > 0. */
export function parseDuration(value: string | undefined): number | undefined {
  const v = value?.trim();
  if (!v || !/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(v)) return undefined;
  const unit: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    µs: 1e-3,
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
  };
  let total = 0;
  for (const m of v.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(m[1]) * unit[m[2]!]!;
  return total > 0 ? total : undefined;
}

const duration = (value: string | undefined, fallback: number) => parseDuration(value) ?? fallback;

/** `watchtower_mode`: one of WATCHTOWER_MODES; anything else is an error, never a silent fallback. */
export function watchtowerMode(value: string | undefined): WatchtowerMode {
  if (value === undefined) return "scan";
  const mode = value.toLowerCase();
  if ((WATCHTOWER_MODES as readonly string[]).includes(mode)) return mode as WatchtowerMode;
  throw new ConfigError(`invalid watchtower_mode "${value}": expected ${WATCHTOWER_MODES.join(", ")}`);
}

export function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(n) || n < 0 || n > 65535) {
    throw new ConfigError(`invalid port "${value}": expected an integer from 0 to 65535`);
  }
  return n;
}

/** Splits `host:port`, `[::1]:port` or `:port`. */
export function splitListen(listen: string): { host: string; port: string } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(listen) ?? /^([^:]*):(\d+)$/.exec(listen);
  if (!m) throw new ConfigError(`invalid listen address "${listen}": expected host:port`);
  return { host: m[1]!, port: m[2]! };
}

export function loadConfig(flags: CliFlags, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const dataDir = flags.dataDir?.trim() || defaultDataDir(env);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const configPath = join(dataDir, "config.toml");

  const envToken = env.SENTINEL_TOKEN?.trim();
  let generated = false;
  if (!existsSync(configPath)) {
    // First start: the template always gets a fresh token, even when SENTINEL_TOKEN is set (it wins while it is
    // set): a later start without the variable must still require a token, never fall back to none.
    writeFileSync(configPath, configTemplate(generateToken()), { mode: 0o600, flag: "wx" });
    chmodSync(configPath, 0o600);
    generated = true;
  }
  const text = readFileSync(configPath, "utf8");
  const file = parseConfigFile(text);
  const pick = (envName: string, key: string): string | undefined => {
    const fromEnv = env[envName]?.trim();
    if (fromEnv) return fromEnv;
    const fromFile = file.get(key)?.trim();
    return fromFile ? fromFile : undefined;
  };

  const listen = splitListen(pick("SENTINEL_LISTEN", "listen") ?? "127.0.0.1:4040");
  const host = flags.host?.trim() || listen.host;
  const port = parsePort(flags.port?.trim() || listen.port);

  // Auth is off only when the user chose `auth = "none"`, and only on loopback; an empty or missing token is
  // never read as "no auth": a token is generated and written into the file instead.
  const auth = parseAuthMode(pick("SENTINEL_AUTH", "auth"));
  let token: string;
  let tokenSource: ServerConfig["tokenSource"];
  if (auth === "none") {
    if (!isLoopbackHost(host)) {
      throw new ConfigError(
        `auth = "none" is allowed only on a loopback address, not "${host || "*"}": ` +
          `remove it (or SENTINEL_AUTH) to use the token in ${configPath}, or listen on 127.0.0.1`,
      );
    }
    token = "";
    tokenSource = "none";
  } else if (envToken) {
    token = envToken;
    tokenSource = "env";
  } else if (file.get("token")?.trim()) {
    token = file.get("token")!.trim();
    tokenSource = generated ? "generated" : "config";
  } else {
    // A hand-edited or old file without a token: give it one rather than serve open.
    token = generateToken();
    try {
      writeConfigFile(configPath, withToken(text, token));
    } catch (error) {
      throw new ConfigError(
        `${configPath} has no token and it could not be written (${(error as Error).message}): ` +
          `set "token" there or SENTINEL_TOKEN, or auth = "none" to run without a token (loopback only)`,
      );
    }
    tokenSource = "generated";
  }

  const origins = (pick("SENTINEL_ALLOWED_ORIGINS", "allowed_origins") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const allowedHosts = (pick("SENTINEL_ALLOWED_HOSTS", "allowed_hosts") ?? "")
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);

  const tmuxSocket = flags.tmuxSocket?.trim() || env.SENTINEL_TMUX_SOCKET?.trim() || undefined;

  return {
    host,
    port,
    dataDir,
    configPath,
    auth,
    token,
    tokenSource,
    allowedOrigins: origins,
    allowedHosts,
    tmuxSocket,
    logLevel: (pick("SENTINEL_LOG_LEVEL", "log_level") ?? "info").toLowerCase(),
    rateLimit: {
      max: positiveInt(pick("SENTINEL_RATE_LIMIT_PER_MINUTE", "rate_limit_per_minute"), 6000),
      windowMs: 60_000,
    },
    authThrottle: {
      maxFailures: positiveInt(pick("SENTINEL_AUTH_FAILURES_PER_MINUTE", "auth_failures_per_minute"), 20),
      windowMs: 60_000,
    },
    accessTokenTtlSeconds: positiveInt(pick("SENTINEL_ACCESS_TOKEN_TTL", "access_token_ttl_seconds"), 900),
    refreshTokenTtlSeconds: positiveInt(
      pick("SENTINEL_REFRESH_TOKEN_TTL", "refresh_token_ttl_seconds"),
      7 * 86400,
    ),
    allowQueryToken: bool(pick("SENTINEL_ALLOW_QUERY_TOKEN", "allow_query_token"), false),
    recording: {
      maxBytes: positiveInt(pick("SENTINEL_RECORDING_MAX_BYTES", "recording_max_bytes"), 256 * 1024 * 1024),
      maxDurationSeconds: positiveInt(
        pick("SENTINEL_RECORDING_MAX_DURATION_SECONDS", "recording_max_duration_seconds"),
        4 * 3600,
      ),
      maxActive: positiveInt(pick("SENTINEL_RECORDING_MAX_ACTIVE", "recording_max_active"), 16),
    },
    watchtower: {
      enabled: bool(pick("SENTINEL_WATCHTOWER_ENABLED", "watchtower_enabled"), true),
      mode: watchtowerMode(pick("SENTINEL_WATCHTOWER_MODE", "watchtower_mode")),
      tickIntervalMs: duration(pick("SENTINEL_WATCHTOWER_TICK_INTERVAL", "watchtower_tick_interval"), 1000),
      probeIntervalMs: duration(pick("SENTINEL_WATCHTOWER_PROBE_INTERVAL", "watchtower_probe_interval"), 50),
      safetyIntervalMs: duration(
        pick("SENTINEL_WATCHTOWER_SAFETY_INTERVAL", "watchtower_safety_interval"),
        10_000,
      ),
      debounceMs: duration(pick("SENTINEL_WATCHTOWER_DEBOUNCE", "watchtower_debounce"), 50),
      minCollectIntervalMs: duration(
        pick("SENTINEL_WATCHTOWER_MIN_COLLECT_INTERVAL", "watchtower_min_collect_interval"),
        250,
      ),
      captureLines: positiveInt(pick("SENTINEL_WATCHTOWER_CAPTURE_LINES", "watchtower_capture_lines"), 80),
      captureTimeoutMs: duration(
        pick("SENTINEL_WATCHTOWER_CAPTURE_TIMEOUT", "watchtower_capture_timeout"),
        150,
      ),
      journalRows: positiveInt(pick("SENTINEL_WATCHTOWER_JOURNAL_ROWS", "watchtower_journal_rows"), 5000),
      timelineRows: positiveInt(
        pick("SENTINEL_WATCHTOWER_TIMELINE_ROWS", "watchtower_timeline_rows"),
        20_000,
      ),
      maxMonitors: positiveInt(pick("SENTINEL_WATCHTOWER_MAX_MONITORS", "watchtower_max_monitors"), 64),
      presenceTtlMs: duration(pick("SENTINEL_PRESENCE_TTL", "presence_ttl"), 30_000),
    },
    recovery: {
      enabled: bool(pick("SENTINEL_RECOVERY_ENABLED", "recovery_enabled"), true),
      snapshotIntervalMs: duration(
        pick("SENTINEL_RECOVERY_SNAPSHOT_INTERVAL", "recovery_snapshot_interval"),
        5000,
      ),
      maxSnapshots: positiveInt(pick("SENTINEL_RECOVERY_MAX_SNAPSHOTS", "recovery_max_snapshots"), 300),
      restoreTimeoutMs: duration(
        pick("SENTINEL_RECOVERY_RESTORE_TIMEOUT", "recovery_restore_timeout"),
        300_000,
      ),
      bootIdPath:
        pick("SENTINEL_RECOVERY_BOOT_ID_PATH", "recovery_boot_id_path") ?? "/proc/sys/kernel/random/boot_id",
    },
    runbooks: {
      stepTimeoutMs: duration(pick("SENTINEL_RUNBOOK_STEP_TIMEOUT", "runbook_step_timeout"), 30_000),
      runTimeoutMs: duration(pick("SENTINEL_RUNBOOK_RUN_TIMEOUT", "runbook_run_timeout"), 300_000),
      maxOutputBytes: positiveInt(
        pick("SENTINEL_RUNBOOK_MAX_OUTPUT_BYTES", "runbook_max_output_bytes"),
        64 * 1024,
      ),
      maxConcurrent: positiveInt(pick("SENTINEL_RUNBOOK_MAX_CONCURRENT", "runbook_max_concurrent"), 5),
      schedulerTickMs: duration(pick("SENTINEL_SCHEDULER_TICK", "scheduler_tick"), 5000),
    },
    ops: loadOpsConfig(pick),
  };
}

/** Loopback hosts are not exposed (spec §5.4); an empty host binds every interface. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h === "::1") return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
