// `node dist/server.js serve [--host H] [--port P] [--data-dir D] [--tmux-socket S]`: one JSON ready line on
// stdout, logs on stderr, `<data-dir>/runtime.json` while it runs, graceful stop on SIGTERM/SIGINT within 2 s.
import "./wasmTiering.js";
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { formatReadyLine, RUNTIME_FILE, type RuntimeInfo } from "../protocol/runtime.js";
import { ConfigError, loadConfig } from "./config.js";
import { startServer } from "./server.js";

declare const __SENTINEL_VERSION__: string;
const VERSION = typeof __SENTINEL_VERSION__ === "string" ? __SENTINEL_VERSION__ : "dev";

const USAGE = `Sentinel companion server ${VERSION}

Usage:
  sentinel-server serve [options]    run the server (the default command)
  sentinel-server --version          print the version

Options:
  --host HOST          address to bind (default 127.0.0.1; env SENTINEL_LISTEN=host:port)
  --port PORT          port, 0 for any free one (default 4040)
  --data-dir DIR       data directory: config.toml, sentinel.db (default $SENTINEL_DATA_DIR or ~/.sentinel)
  --tmux-socket PATH   use this tmux server socket for every tmux call (env SENTINEL_TMUX_SOCKET)
  -h, --help           show this help

A token is always required: SENTINEL_TOKEN, else the "token" key of <data-dir>/config.toml (generated and
written there on first start, or when the file has none). auth = "none" in config.toml (env SENTINEL_AUTH=none)
serves without a token, and is refused unless the host is loopback.
`;

const SHUTDOWN_DEADLINE_MS = 1800;

/**
 * Writes `<data-dir>/runtime.json` (src/protocol/runtime.ts) atomically; removed on a graceful stop if it is still
 * ours. Readers must still check that the pid is alive and the server answers.
 */
function writeRuntimeFile(dataDir: string, info: RuntimeInfo): string | undefined {
  const file = join(dataDir, RUNTIME_FILE);
  const temp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, `${JSON.stringify(info)}\n`, { mode: 0o600 });
    renameSync(temp, file);
    return file;
  } catch {
    rmSync(temp, { force: true });
    return undefined;
  }
}

function removeRuntimeFile(file: string | undefined): void {
  if (!file) return;
  try {
    if ((JSON.parse(readFileSync(file, "utf8")) as RuntimeInfo).pid === process.pid)
      rmSync(file, { force: true });
  } catch {
    // Gone already, or replaced by another server's.
  }
}

function fail(message: string, code: number): never {
  process.stderr.write(`sentinel: ${message}\n`);
  process.exit(code);
}

async function main(argv: string[]): Promise<void> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        host: { type: "string" },
        port: { type: "string" },
        "data-dir": { type: "string" },
        "tmux-socket": { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "v" },
      },
    });
  } catch (error) {
    fail(`${(error as Error).message}\n\n${USAGE}`, 2);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  const command = positionals[0] ?? "serve";
  if (command !== "serve" || positionals.length > 1)
    fail(`unknown command "${positionals.join(" ")}"\n\n${USAGE}`, 2);

  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig({
      host: values.host as string | undefined,
      port: values.port as string | undefined,
      dataDir: values["data-dir"] as string | undefined,
      tmuxSocket: values["tmux-socket"] as string | undefined,
    });
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message, 2);
    throw error;
  }
  // loadConfig never leaves the token empty unless auth = "none" was chosen (on loopback only); say so if it did.
  if (!config.token && config.auth !== "none") fail(`no token: set "token" in ${config.configPath}`, 2);

  // The token and the Electron switch are for this process only: tmux servers started from here, and the
  // shells in their sessions, inherit this environment.
  delete process.env.SENTINEL_TOKEN;
  delete process.env.ELECTRON_RUN_AS_NODE;
  // So are the malloc settings the extension added for this process (extension/server/serverEnv.ts).
  for (const name of (process.env.SENTINEL_MALLOC_ENV ?? "").split(",")) {
    if (/^MALLOC_[A-Z_]+$/.test(name)) delete process.env[name];
  }
  delete process.env.SENTINEL_MALLOC_ENV;

  const server = await startServer(config, VERSION).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "EADDRINUSE")
      fail(`port ${config.port} on ${config.host} is already in use (--port 0 picks a free one)`, 1);
    if (error.code === "EADDRNOTAVAIL") fail(`cannot bind ${config.host}: address not available`, 2);
    throw error;
  });
  const log = server.ctx.log;
  for (const warning of config.warnings) log.warn(warning);
  if (config.auth === "none")
    log.warn(
      `auth = "none": no token is required; any local user can use this server (${config.configPath})`,
    );
  else if (config.tokenSource === "generated")
    log.info(`token: generated and written to ${config.configPath} (key "token")`);
  else if (config.tokenSource === "config") log.info(`token: in ${config.configPath} (key "token")`);
  const runtimeFile = writeRuntimeFile(config.dataDir, {
    pid: process.pid,
    port: server.port,
    url: server.url,
    version: VERSION,
    startedAt: new Date().toISOString(),
    tmuxSocket: config.tmuxSocket ?? "",
  });
  if (!runtimeFile) log.warn(`could not write ${join(config.dataDir, RUNTIME_FILE)}`);
  process.stdout.write(
    `${formatReadyLine({ url: server.url, port: server.port, pid: process.pid, version: VERSION, auth: config.auth })}\n`,
  );
  process.stderr.write(
    `Sentinel ${VERSION} listening on ${server.url}\n` +
      (config.auth === "token"
        ? `Token: ${config.tokenSource === "env" ? "from SENTINEL_TOKEN" : `"token" in ${config.configPath}`}\n`
        : 'Token: none (auth = "none")\n'),
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    const deadline = setTimeout(() => {
      log.error("shutdown took too long; exiting");
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    removeRuntimeFile(runtimeFile);
    server.close().then(
      () => process.exit(0),
      (error) => {
        log.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main(process.argv.slice(2)).catch((error) => {
  process.stderr.write(`sentinel: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
