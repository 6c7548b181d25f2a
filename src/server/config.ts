// Server configuration: CLI flags, then environment, then the data dir's config file, then defaults (spec §10).
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
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

export interface WatchtowerConfig {
  /** `watchtower_enabled`: off stops the collects; the APIs still answer from what is stored. */
  enabled: boolean;
  /**
   * `watchtower_mode`: `events` learns of output and structure changes from tmux control-mode clients (one per
   * session) and collects only what changed; `poll` collects everything every `tickIntervalMs`, like the Go
   * server (ADR 0004).
   */
  mode: "events" | "poll";
  /** `watchtower_tick_interval`: the period of `poll` mode, and of discovery while no tmux server runs. */
  tickIntervalMs: number;
  /** `watchtower_safety_interval`: in `events` mode, a full collect (every pane captured) this often. */
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
  token: string;
  /** Where the token came from, for the start-up message. */
  tokenSource: "env" | "config" | "generated" | "none";
  allowedOrigins: string[];
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
token = "${token}"
# listen = "127.0.0.1:4040"
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

  let tokenSource: ServerConfig["tokenSource"] = "none";
  if (!existsSync(configPath)) {
    // First start: write the template with a fresh token, unless the environment already brings one.
    const fresh = env.SENTINEL_TOKEN?.trim() ? "" : randomBytes(24).toString("base64url");
    writeFileSync(configPath, configTemplate(fresh), { mode: 0o600, flag: "wx" });
    chmodSync(configPath, 0o600);
    if (fresh) tokenSource = "generated";
  }
  const file = parseConfigFile(readFileSync(configPath, "utf8"));
  const pick = (envName: string, key: string): string | undefined => {
    const fromEnv = env[envName]?.trim();
    if (fromEnv) return fromEnv;
    const fromFile = file.get(key)?.trim();
    return fromFile ? fromFile : undefined;
  };

  const listen = splitListen(pick("SENTINEL_LISTEN", "listen") ?? "127.0.0.1:4040");
  const host = flags.host?.trim() || listen.host;
  const port = parsePort(flags.port?.trim() || listen.port);

  const envToken = env.SENTINEL_TOKEN?.trim();
  const fileToken = file.get("token")?.trim();
  const token = envToken || fileToken || "";
  if (envToken) tokenSource = "env";
  else if (fileToken && tokenSource !== "generated") tokenSource = "config";

  const origins = (pick("SENTINEL_ALLOWED_ORIGINS", "allowed_origins") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

  const tmuxSocket = flags.tmuxSocket?.trim() || env.SENTINEL_TMUX_SOCKET?.trim() || undefined;

  return {
    host,
    port,
    dataDir,
    configPath,
    token,
    tokenSource,
    allowedOrigins: origins,
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
      mode: pick("SENTINEL_WATCHTOWER_MODE", "watchtower_mode")?.toLowerCase() === "poll" ? "poll" : "events",
      tickIntervalMs: duration(pick("SENTINEL_WATCHTOWER_TICK_INTERVAL", "watchtower_tick_interval"), 1000),
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
