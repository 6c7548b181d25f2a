// The environment of the companion server the extension starts. The extension host's own variables (VS Code's
// IPC handles, Electron switches, telemetry) are dropped: tmux servers the companion starts inherit this
// environment, and so do the shells in their sessions. No `vscode` import.

const DROP = [/^VSCODE_/, /^ELECTRON_/, /^APPLICATIONINSIGHTS/, /^CHROME_/];
const DROP_EXACT = new Set(["NODE_OPTIONS", "SENTINEL_TOKEN", "SENTINEL_MALLOC_ENV", "TMUX", "TMUX_PANE"]);

/**
 * glibc's malloc settings for the server, which it reads only from the environment at exec (other C libraries
 * ignore them). With a fixed trim threshold glibc gives freed memory at the top of its heap back at once; by
 * default the first large buffer freed at start-up (the bundle's text, the code cache) raises that threshold to
 * megabytes, and the idle server keeps ~4 MB it no longer uses (ADR 0020). A variable the user set is left as it
 * is; the ones added are named in SENTINEL_MALLOC_ENV, and the server removes them (and that list) from its own
 * environment before starting anything, so tmux and the shells in its sessions never see them.
 */
const MALLOC_TUNING: Readonly<Record<string, string>> = { MALLOC_TRIM_THRESHOLD_: "131072" };

/** The malloc settings to add to `base` (those it does not set already), with the list naming them. */
export function mallocTuning(base: NodeJS.ProcessEnv): Record<string, string> {
  const added = Object.entries(MALLOC_TUNING).filter(([key]) => base[key] === undefined);
  if (added.length === 0) return {};
  return {
    ...Object.fromEntries(added),
    SENTINEL_MALLOC_ENV: added.map(([key]) => key).join(","),
  };
}

export function serverEnvironment(base: NodeJS.ProcessEnv, token: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) {
    if (value === undefined || DROP_EXACT.has(key) || DROP.some((re) => re.test(key))) continue;
    env[key] = value;
  }
  Object.assign(env, mallocTuning(env));
  // Electron's binary runs as plain Node with this; the server removes it again before starting tmux.
  env.ELECTRON_RUN_AS_NODE = "1";
  if (token) env.SENTINEL_TOKEN = token;
  return env;
}

export interface ServeArgs {
  script: string;
  port: number;
  dataDir: string;
  tmuxSocket?: string;
}

export function serveArgs(options: ServeArgs): string[] {
  const args = [
    options.script,
    "serve",
    "--host",
    "127.0.0.1",
    "--port",
    String(options.port),
    "--data-dir",
    options.dataDir,
  ];
  if (options.tmuxSocket) args.push("--tmux-socket", options.tmuxSocket);
  return args;
}
