// Server configuration: CLI flags, then environment, then the data dir's config.toml, then defaults (spec §10).
// The settings themselves (keys, variables, kinds, defaults) are declared once in settings/schema.ts.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { type OpsConfig, opsConfig } from "./ops/opsConfig.js";
import { createConfigFile, setSetting, writeConfigFile } from "./settings/edit.js";
import { withFileLock } from "./settings/fileLock.js";
import { ConfigError, isLoopbackHost, parsePort, splitListen } from "./settings/kinds.js";
import { type FileSettings, readConfigText, resolveSettings } from "./settings/read.js";
import type { Settings } from "./settings/schema.js";
import { SETTINGS } from "./settings/schema.js";
import { configTemplate } from "./settings/template.js";
import { tomlString } from "./settings/tomlLines.js";

export { ConfigError } from "./settings/kinds.js";

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

export type WatchtowerMode = Settings["watchtower_mode"];

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
   * lists every 5 s at least while its probe watches tmux).
   */
  tickIntervalMs: number;
  /** `watchtower_probe_interval`: how often `scan` mode looks at the tmux server's counters in /proc. */
  probeIntervalMs: number;
  /**
   * `watchtower_probe_idle_interval`: how often it looks once tmux has been still for a while (ADR 0023); the
   * first move seen brings `probeIntervalMs` back.
   */
  probeIdleIntervalMs: number;
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
  /** What the start should say once about config.toml: unknown keys and sections (ignored), with their lines. */
  warnings: string[];
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
  /** Read-only tmux calls through the query shell (ADR 0022). */
  tmuxQueryShell: boolean;
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

export type AuthMode = Settings["auth"];

/** A fresh static token: 24 random bytes, base64url (32 characters). */
export const generateToken = (): string => randomBytes(24).toString("base64url");

/** The config file with `token` set: its token line's value replaced, or a token line added at the top level. */
export function withToken(text: string, token: string): string {
  return setSetting(text, "token", tomlString(token), token);
}

export interface CliFlags {
  host?: string;
  port?: string;
  dataDir?: string;
  tmuxSocket?: string;
}

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env[SETTINGS.data_dir.env]?.trim();
  if (fromEnv) return fromEnv;
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

/** config.toml read against the schema; a problem is a ConfigError naming the file and line. */
function readConfigFile(configPath: string, text: string): FileSettings {
  try {
    return readConfigText(text);
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(`${configPath}: ${error.message}`, error.line);
    throw error;
  }
}

export function loadConfig(flags: CliFlags, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const dataDir = flags.dataDir?.trim() || defaultDataDir(env);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const configPath = join(dataDir, "config.toml");

  // First start: the template always gets a fresh token, even when SENTINEL_TOKEN is set (it wins while it is
  // set): a later start without the variable must still require a token, never fall back to none. Two servers
  // starting together on a new data dir: one creates the file, the other reads it (and its token).
  const generated = !existsSync(configPath) && createConfigFile(configPath, configTemplate(generateToken()));
  const text = readFileSync(configPath, "utf8");
  let file = readConfigFile(configPath, text);
  const { settings: s, sources } = resolveSettings(file, env);

  const listen = splitListen(s.listen);
  const host = flags.host?.trim() || listen.host;
  const port = parsePort(flags.port?.trim() || listen.port);

  // Auth is off only when the user chose `auth = "none"`, and only on loopback; an empty or missing token is
  // never read as "no auth": a token is generated and written into the file instead.
  const auth = s.auth;
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
  } else if (sources.token === "env") {
    token = s.token;
    tokenSource = "env";
  } else if (s.token) {
    token = s.token;
    tokenSource = generated ? "generated" : "config";
  } else {
    // A hand-edited or old file without a token: give it one rather than serve open. Under a lock, reading the
    // file again: a server that started at the same moment may have given it one already, which is then ours too.
    try {
      const given = withFileLock(configPath, () => {
        const current = readFileSync(configPath, "utf8");
        const found = readConfigFile(configPath, current);
        if (found.values.token) return { token: found.values.token, file: found, ours: false };
        const fresh = generateToken();
        const next = withToken(current, fresh);
        writeConfigFile(configPath, next);
        return { token: fresh, file: readConfigFile(configPath, next), ours: true };
      });
      token = given.token;
      file = given.file;
      tokenSource = given.ours ? "generated" : "config";
    } catch (error) {
      throw new ConfigError(
        `${configPath} has no token and it could not be written (${(error as Error).message}): ` +
          `set "token" there or SENTINEL_TOKEN, or auth = "none" to run without a token (loopback only)`,
      );
    }
  }

  return {
    host,
    port,
    dataDir,
    configPath,
    warnings: file.warnings.map((w) => `${configPath}: ${w}`),
    auth,
    token,
    tokenSource,
    allowedOrigins: s.allowed_origins,
    allowedHosts: s.allowed_hosts,
    tmuxSocket: flags.tmuxSocket?.trim() || s.tmux_socket || undefined,
    tmuxQueryShell: s.tmux_query_shell,
    logLevel: s.log_level,
    rateLimit: { max: s.rate_limit_per_minute, windowMs: 60_000 },
    authThrottle: { maxFailures: s.auth_failures_per_minute, windowMs: 60_000 },
    accessTokenTtlSeconds: s.access_token_ttl_seconds,
    refreshTokenTtlSeconds: s.refresh_token_ttl_seconds,
    allowQueryToken: s.allow_query_token,
    recording: {
      maxBytes: s.recording_max_bytes,
      maxDurationSeconds: s.recording_max_duration_seconds,
      maxActive: s.recording_max_active,
    },
    watchtower: {
      enabled: s.watchtower_enabled,
      mode: s.watchtower_mode,
      tickIntervalMs: s.watchtower_tick_interval,
      probeIntervalMs: s.watchtower_probe_interval,
      probeIdleIntervalMs: s.watchtower_probe_idle_interval,
      safetyIntervalMs: s.watchtower_safety_interval,
      debounceMs: s.watchtower_debounce,
      minCollectIntervalMs: s.watchtower_min_collect_interval,
      captureLines: s.watchtower_capture_lines,
      captureTimeoutMs: s.watchtower_capture_timeout,
      journalRows: s.watchtower_journal_rows,
      timelineRows: s.watchtower_timeline_rows,
      maxMonitors: s.watchtower_max_monitors,
      presenceTtlMs: s.presence_ttl,
    },
    recovery: {
      enabled: s.recovery_enabled,
      snapshotIntervalMs: s.recovery_snapshot_interval,
      maxSnapshots: s.recovery_max_snapshots,
      restoreTimeoutMs: s.recovery_restore_timeout,
      bootIdPath: s.recovery_boot_id_path,
    },
    runbooks: {
      stepTimeoutMs: s.runbook_step_timeout,
      runTimeoutMs: s.runbook_run_timeout,
      maxOutputBytes: s.runbook_max_output_bytes,
      maxConcurrent: s.runbook_max_concurrent,
      schedulerTickMs: s.scheduler_tick,
    },
    ops: opsConfig(s),
  };
}
