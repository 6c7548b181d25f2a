// Every setting of the companion server, declared once (ADR 0014): its config.toml key, environment variable,
// flag, kind (type and constraints), default and description. From this come the loader (src/server/config.ts:
// flag, then environment, then config.toml, then the default), the check of `PATCH /api/ops/config`
// (src/server/ops/configFile.ts), the first-start template (./template.ts) and the README's configuration table
// (./readmeTable.ts, `npm run settings-table`). Every setting is read at start: a change, by hand or through
// PATCH /api/ops/config, applies at the next start.
import { TOKEN_MASK } from "../../protocol/ops.js";
import {
  boolean,
  ConfigError,
  duration,
  integer,
  type Kind,
  list,
  oneOf,
  parsePort,
  percent,
  splitListen,
  text,
} from "./kinds.js";

export interface Setting<T> {
  /** The environment variable; a non-blank value wins over the file. */
  env: string;
  kind: Kind<T>;
  default: NoInfer<T>;
  /** The README's and template's words for a default computed at start (the data dir, a generated token). */
  defaultText?: string;
  description: string;
  /** The command-line flag(s) that win over everything, as the README shows them. */
  cli?: string;
  /** `false`: environment and flag only, not a config.toml key (so not editable through PATCH /api/ops/config). */
  file?: false;
  /**
   * The key's place in the later Go server's sectioned config.toml (spec §12, `[watchtower] enabled`), read as
   * well: a file written for that server keeps working for the settings both servers have.
   */
  alias?: string;
  /** A stricter rule for a value written through PATCH /api/ops/config (a file edited by hand is the user's). */
  apiCheck?: (value: T) => string | undefined;
}

const setting = <T>(s: Setting<T>): Setting<T> => s;

const listenCheck = (v: string): string | undefined => {
  try {
    parsePort(splitListen(v).port);
    return undefined;
  } catch (error) {
    return error instanceof ConfigError ? error.message : "expected host:port";
  }
};

const originCheck = (entry: string): string | undefined => {
  if (entry === "*") return undefined;
  try {
    const url = new URL(entry);
    if (url.protocol === "http:" || url.protocol === "https:" || url.protocol === "vscode-webview:")
      return undefined;
  } catch {
    // Not a URL: the message below.
  }
  return `origin "${entry}": expected http(s)://host[:port]`;
};

const hostCheck = (entry: string): string | undefined =>
  /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+)(:\d{1,5})?$/.test(entry)
    ? undefined
    : `host "${entry}": expected a host name or address, optionally with :port`;

export const SETTINGS = {
  listen: setting({
    env: "SENTINEL_LISTEN",
    cli: "`--host`, `--port`",
    kind: text(listenCheck),
    default: "127.0.0.1:4040",
    description: "Address to listen on, `host:port` (`:port`: every interface).",
  }),
  data_dir: setting({
    env: "SENTINEL_DATA_DIR",
    cli: "`--data-dir`",
    file: false,
    kind: text(),
    default: "",
    defaultText: "`~/.sentinel`",
    description: "Data directory: `config.toml`, `sentinel.db`, recordings, the code cache.",
  }),
  tmux_socket: setting({
    env: "SENTINEL_TMUX_SOCKET",
    cli: "`--tmux-socket`",
    file: false,
    kind: text(),
    default: "",
    defaultText: "the user's default tmux server",
    description: "The tmux server socket every tmux call uses.",
  }),
  tmux_query_shell: setting({
    env: "SENTINEL_TMUX_QUERY_SHELL",
    kind: boolean,
    default: true,
    description:
      "Read-only tmux calls (the watchtower's listings, captures) are started by one long-lived `/bin/sh` instead of a fork of the server each (ADR 0022). Off: every call forks the server.",
  }),
  token: setting({
    env: "SENTINEL_TOKEN",
    alias: "server.token",
    kind: text(),
    default: "",
    defaultText: "generated on first start, or when the file has none",
    description:
      "The token every client sends (`Authorization: Bearer`). `SENTINEL_TOKEN` wins while it is set; it is visible in the process environment, so prefer the file on a shared host.",
    apiCheck: (v) =>
      v.length >= 16 && !/\s/.test(v)
        ? undefined
        : `expected at least 16 characters without spaces (or "${TOKEN_MASK}" to keep the current token)`,
  }),
  auth: setting({
    env: "SENTINEL_AUTH",
    kind: oneOf("token", "none"),
    default: "token",
    description: "`none` serves without a token, and is refused unless the listen address is loopback.",
  }),
  allowed_hosts: setting({
    env: "SENTINEL_ALLOWED_HOSTS",
    kind: list(hostCheck, (s) => s.toLowerCase()),
    default: [],
    defaultText: "loopback names and the listen host",
    description:
      "`Host` header names accepted besides loopback names and the listen host (DNS rebinding check).",
  }),
  allowed_origins: setting({
    env: "SENTINEL_ALLOWED_ORIGINS",
    alias: "server.allowed_origins",
    kind: list(originCheck),
    default: [],
    defaultText: "same host only",
    description: "Browser origins allowed besides the server's own (`*`: any).",
  }),
  log_level: setting({
    env: "SENTINEL_LOG_LEVEL",
    alias: "log.level",
    kind: oneOf("trace", "debug", "info", "warn", "error", "fatal", "silent"),
    default: "info",
    description: "Log level (logs go to stderr).",
  }),
  rate_limit_per_minute: setting({
    env: "SENTINEL_RATE_LIMIT_PER_MINUTE",
    kind: integer(1),
    default: 6000,
    description: "Requests per minute to `/api/*` from one address.",
  }),
  auth_failures_per_minute: setting({
    env: "SENTINEL_AUTH_FAILURES_PER_MINUTE",
    kind: integer(1),
    default: 20,
    description: "Wrong tokens per minute from one address before it gets 429 (wrong ones only).",
  }),
  access_token_ttl_seconds: setting({
    env: "SENTINEL_ACCESS_TOKEN_TTL",
    kind: integer(1),
    default: 900,
    description: "Lifetime of a scoped terminal's access token, in seconds.",
  }),
  refresh_token_ttl_seconds: setting({
    env: "SENTINEL_REFRESH_TOKEN_TTL",
    kind: integer(1),
    default: 7 * 86400,
    description: "Lifetime of a scoped terminal's refresh token, in seconds.",
  }),
  allow_query_token: setting({
    env: "SENTINEL_ALLOW_QUERY_TOKEN",
    kind: boolean,
    default: false,
    description: "Accept `?token=` on `/api/sessions/{id}/ws` (never logged; the protocol never needs it).",
  }),
  recording_max_bytes: setting({
    env: "SENTINEL_RECORDING_MAX_BYTES",
    kind: integer(1),
    default: 256 * 1024 * 1024,
    description: "Largest cast file, in bytes; the recording then stops with a `limit: size` marker.",
  }),
  recording_max_duration_seconds: setting({
    env: "SENTINEL_RECORDING_MAX_DURATION_SECONDS",
    kind: integer(1),
    default: 4 * 3600,
    description: "Longest recording, in seconds.",
  }),
  recording_max_active: setting({
    env: "SENTINEL_RECORDING_MAX_ACTIVE",
    kind: integer(1),
    default: 16,
    description: "Recordings that may run at once.",
  }),
  watchtower_enabled: setting({
    env: "SENTINEL_WATCHTOWER_ENABLED",
    alias: "watchtower.enabled",
    kind: boolean,
    default: true,
    description: "Off stops the watchtower's collects; its APIs answer from what is stored.",
  }),
  watchtower_mode: setting({
    env: "SENTINEL_WATCHTOWER_MODE",
    kind: oneOf("scan", "events", "poll"),
    default: "scan",
    description:
      "How the watchtower learns of tmux changes (ADR 0013): `scan` attaches nothing to tmux; `events` attaches control-mode clients (can crash tmux); `poll` collects every tick.",
  }),
  watchtower_tick_interval: setting({
    env: "SENTINEL_WATCHTOWER_TICK_INTERVAL",
    alias: "watchtower.tick_interval",
    kind: duration(),
    default: 1000,
    description: "`poll` period; and how often a tmux server is looked for while none runs.",
  }),
  watchtower_probe_interval: setting({
    env: "SENTINEL_WATCHTOWER_PROBE_INTERVAL",
    kind: duration(),
    default: 50,
    description: "`scan`: how often the tmux server's counters in `/proc` are read while tmux is busy.",
  }),
  watchtower_probe_idle_interval: setting({
    env: "SENTINEL_WATCHTOWER_PROBE_IDLE_INTERVAL",
    kind: duration(),
    default: 150,
    description:
      "`scan`: how often they are read once tmux has been still for 2 s (ADR 0023); the first move seen brings back `watchtower_probe_interval`. Set it to that value to never slow down.",
  }),
  watchtower_safety_interval: setting({
    env: "SENTINEL_WATCHTOWER_SAFETY_INTERVAL",
    kind: duration(),
    default: 10_000,
    description: "`scan`, `events`: a full collect (every pane captured) this often.",
  }),
  watchtower_debounce: setting({
    env: "SENTINEL_WATCHTOWER_DEBOUNCE",
    kind: duration(),
    default: 50,
    description: "Wait after a change notice before collecting.",
  }),
  watchtower_min_collect_interval: setting({
    env: "SENTINEL_WATCHTOWER_MIN_COLLECT_INTERVAL",
    kind: duration(),
    default: 250,
    description: "Collects triggered by notices start at least this far apart.",
  }),
  watchtower_capture_lines: setting({
    env: "SENTINEL_WATCHTOWER_CAPTURE_LINES",
    alias: "watchtower.capture_lines",
    kind: integer(1),
    default: 80,
    description: "Lines captured per pane.",
  }),
  watchtower_capture_timeout: setting({
    env: "SENTINEL_WATCHTOWER_CAPTURE_TIMEOUT",
    alias: "watchtower.capture_timeout",
    kind: duration(),
    default: 150,
    description: "Time limit of one capture.",
  }),
  watchtower_journal_rows: setting({
    env: "SENTINEL_WATCHTOWER_JOURNAL_ROWS",
    alias: "watchtower.journal_rows",
    kind: integer(1),
    default: 5000,
    description: "Newest watchtower journal rows kept.",
  }),
  watchtower_timeline_rows: setting({
    env: "SENTINEL_WATCHTOWER_TIMELINE_ROWS",
    kind: integer(1),
    default: 20_000,
    description: "Newest tmux timeline rows kept.",
  }),
  watchtower_max_monitors: setting({
    env: "SENTINEL_WATCHTOWER_MAX_MONITORS",
    kind: integer(1),
    default: 64,
    description: "`events`: most sessions watched by a control client at once.",
  }),
  presence_ttl: setting({
    env: "SENTINEL_PRESENCE_TTL",
    kind: duration(),
    default: 30_000,
    description: "How long a terminal's presence counts (the spec's 30 s; shorter only for tests).",
  }),
  recovery_enabled: setting({
    env: "SENTINEL_RECOVERY_ENABLED",
    kind: boolean,
    default: true,
    description:
      "Off: every `/api/recovery/*` route is 503 `RECOVERY_DISABLED` and deleting a session archives nothing.",
  }),
  recovery_snapshot_interval: setting({
    env: "SENTINEL_RECOVERY_SNAPSHOT_INTERVAL",
    kind: duration(),
    default: 5000,
    description: "Snapshot period.",
  }),
  recovery_max_snapshots: setting({
    env: "SENTINEL_RECOVERY_MAX_SNAPSHOTS",
    kind: integer(1),
    default: 300,
    description: "Snapshots kept per session.",
  }),
  recovery_restore_timeout: setting({
    env: "SENTINEL_RECOVERY_RESTORE_TIMEOUT",
    kind: duration(),
    default: 300_000,
    description: "Time limit of a restore job.",
  }),
  recovery_boot_id_path: setting({
    env: "SENTINEL_RECOVERY_BOOT_ID_PATH",
    kind: text((v) => (v.startsWith("/") ? undefined : "expected an absolute path")),
    default: "/proc/sys/kernel/random/boot_id",
    description: "Where the boot id is read (tests fake a reboot with a file).",
  }),
  runbook_step_timeout: setting({
    env: "SENTINEL_RUNBOOK_STEP_TIMEOUT",
    kind: duration(),
    default: 30_000,
    description: "A runbook step's time limit unless the step sets its own.",
  }),
  runbook_run_timeout: setting({
    env: "SENTINEL_RUNBOOK_RUN_TIMEOUT",
    kind: duration(),
    default: 300_000,
    description: "A runbook run's time limit unless the runbook sets its own.",
  }),
  runbook_max_output_bytes: setting({
    env: "SENTINEL_RUNBOOK_MAX_OUTPUT_BYTES",
    kind: integer(1),
    default: 64 * 1024,
    description: "Output kept per step (head and tail; the middle is dropped).",
  }),
  runbook_max_concurrent: setting({
    env: "SENTINEL_RUNBOOK_MAX_CONCURRENT",
    alias: "runbooks.max_concurrent",
    kind: integer(1),
    default: 5,
    description: "Runbook jobs running at once; others wait as `queued`.",
  }),
  scheduler_tick: setting({
    env: "SENTINEL_SCHEDULER_TICK",
    kind: duration(),
    default: 5000,
    description: "Longest sleep between the scheduler's due checks.",
  }),
  ops_service_manager: setting({
    env: "SENTINEL_OPS_SERVICE_MANAGER",
    kind: oneOf("auto", "systemd", "none"),
    default: "auto",
    description: "`auto`: systemd when it runs (`/run/systemd/system`).",
  }),
  ops_health_interval: setting({
    env: "SENTINEL_OPS_HEALTH_INTERVAL",
    kind: duration({ off: true }),
    default: 30_000,
    description: "Health check period (`0`: off).",
  }),
  ops_cpu_threshold: setting({
    env: "SENTINEL_OPS_CPU_THRESHOLD",
    kind: percent,
    default: 90,
    description: "CPU alert threshold, percent.",
  }),
  ops_memory_threshold: setting({
    env: "SENTINEL_OPS_MEMORY_THRESHOLD",
    kind: percent,
    default: 90,
    description: "Memory alert threshold, percent.",
  }),
  ops_disk_threshold: setting({
    env: "SENTINEL_OPS_DISK_THRESHOLD",
    kind: percent,
    default: 95,
    description: "Disk alert threshold, percent.",
  }),
  ops_metrics_interval: setting({
    env: "SENTINEL_OPS_METRICS_INTERVAL",
    kind: duration({ off: true }),
    default: 2000,
    description: "`ops.metrics.updated` push period (`0`: off).",
  }),
  ops_alerts_interval: setting({
    env: "SENTINEL_OPS_ALERTS_INTERVAL",
    kind: duration({ off: true }),
    default: 5000,
    description: "`ops.alerts.updated` push period (`0`: off).",
  }),
  ops_timeline_interval: setting({
    env: "SENTINEL_OPS_TIMELINE_INTERVAL",
    kind: duration({ off: true }),
    default: 5000,
    description: "`ops.timeline.updated` push period (`0`: off).",
  }),
  ops_timeline_rows: setting({
    env: "SENTINEL_OPS_TIMELINE_ROWS",
    kind: integer(1),
    default: 20_000,
    description: "Newest ops timeline rows kept.",
  }),
  ops_timeline_max_age: setting({
    env: "SENTINEL_OPS_TIMELINE_MAX_AGE",
    kind: duration({ off: true }),
    default: 0,
    description: "Ops timeline rows older than this are dropped (`0`: no age limit).",
  }),
  ops_command_timeout: setting({
    env: "SENTINEL_OPS_COMMAND_TIMEOUT",
    kind: duration({ off: true }),
    default: 0,
    description: "Time limit of each systemctl/journalctl call (`0`: the spec's 3–8 s per call).",
  }),
};

export type SettingKey = keyof typeof SETTINGS;
export type Settings = { [K in SettingKey]: (typeof SETTINGS)[K] extends Setting<infer T> ? T : never };

export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];

/** A config.toml key (not an env-only setting), by name; undefined for anything else (never a prototype key). */
export function fileSetting(key: string): SettingKey | undefined {
  return Object.hasOwn(SETTINGS, key) && (SETTINGS as Record<string, Setting<unknown>>)[key]!.file !== false
    ? (key as SettingKey)
    : undefined;
}

/** The later Go server's sectioned keys this server reads (`watchtower.enabled` → `watchtower_enabled`). */
export const ALIASES: ReadonlyMap<string, SettingKey> = new Map(
  SETTING_KEYS.flatMap((key) => {
    const alias = (SETTINGS[key] as Setting<unknown>).alias;
    return alias ? [[alias, key] as const] : [];
  }),
);

/** `[server] host` and `port` of the later Go server make up `listen`. */
export const LISTEN_PARTS = { host: "server.host", port: "server.port" } as const;

/** The sections of the later Go server's layout (spec §12) whose keys this server reads, in part. */
export const KNOWN_SECTIONS: ReadonlySet<string> = new Set([
  ...[...ALIASES.keys(), LISTEN_PARTS.host].map((path) => path.split(".")[0]!),
]);
