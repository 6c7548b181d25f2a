// Starts the real bundled server (dist/server.js) on port 0 against a private tmux socket and a temp data dir.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

export const SERVER_JS = join(__dirname, "..", "..", "dist", "server.js");

export interface ServerHandle {
  url: string;
  port: number;
  pid: number;
  token: string;
  dataDir: string;
  child: ChildProcess;
  /** stderr collected so far (logs). */
  logs(): string;
  /** fetch with the bearer token unless `auth: false` or an explicit Authorization header is given. */
  api(path: string, init?: RequestInit & { auth?: boolean; json?: unknown }): Promise<Response>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface ServerOptions {
  tmuxSocket: string;
  token?: string;
  env?: Record<string, string>;
  args?: string[];
  dataDir?: string;
}

export async function startServer(options: ServerOptions): Promise<ServerHandle> {
  const token = options.token ?? "test-token-0123456789";
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "sentinel-data-"));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SENTINEL_LOG_LEVEL: "info",
    // The ops pushes (metrics every 2 s, alert and timeline lists every 5 s) and the health checker are off unless
    // a test asks for them: their periodic events would interleave with the event sequences other tests check.
    SENTINEL_OPS_METRICS_INTERVAL: "0",
    SENTINEL_OPS_ALERTS_INTERVAL: "0",
    SENTINEL_OPS_TIMELINE_INTERVAL: "0",
    SENTINEL_OPS_HEALTH_INTERVAL: "0",
    ...options.env,
  };
  delete env.TMUX;
  if (token) env.SENTINEL_TOKEN = token;
  else delete env.SENTINEL_TOKEN;
  const child = spawn(
    process.execPath,
    [
      SERVER_JS,
      "serve",
      "--port",
      "0",
      "--data-dir",
      dataDir,
      "--tmux-socket",
      options.tmuxSocket,
      ...(options.args ?? []),
    ],
    { env, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const ready = await new Promise<{ url: string; port: number; pid: number }>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error(`server did not become ready:\n${stderr}`)), 30_000);
    lines.once("line", (line) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line));
      } catch {
        reject(new Error(`bad ready line: ${line}\n${stderr}`));
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${stderr}`));
    });
  });
  const handle: ServerHandle = {
    ...ready,
    token,
    dataDir,
    child,
    logs: () => stderr,
    api: (path, init = {}) => {
      const { auth = true, json, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (auth && token && !headers.has("authorization")) headers.set("authorization", `Bearer ${token}`);
      if (json !== undefined) {
        headers.set("content-type", "application/json");
        rest.body = typeof json === "string" ? json : JSON.stringify(json);
      }
      return fetch(ready.url + path, { ...rest, headers });
    },
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const code = await exited;
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
  return handle;
}
