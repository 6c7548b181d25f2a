// The environment of the companion server the extension starts. The extension host's own variables (VS Code's
// IPC handles, Electron switches, telemetry) are dropped: tmux servers the companion starts inherit this
// environment, and so do the shells in their sessions. No `vscode` import.

const DROP = [/^VSCODE_/, /^ELECTRON_/, /^APPLICATIONINSIGHTS/, /^CHROME_/];
const DROP_EXACT = new Set(["NODE_OPTIONS", "SENTINEL_TOKEN", "TMUX", "TMUX_PANE"]);

export function serverEnvironment(base: NodeJS.ProcessEnv, token: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) {
    if (value === undefined || DROP_EXACT.has(key) || DROP.some((re) => re.test(key))) continue;
    env[key] = value;
  }
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
