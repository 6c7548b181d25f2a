// The companion server's lifecycle: reuse a healthy server of the same user and host (`<data-dir>/runtime.json`,
// same version, our token accepted), else start the bundled one with the extension host's own executable
// (`ELECTRON_RUN_AS_NODE=1`, the token in SENTINEL_TOKEN) and wait for its ready line; restart it with backoff
// when it dies; stop it on dispose when this window started it. Or connect to an external server (setting +
// the token stored for that URL's origin, src/extension/server/serverTokens.ts). No `vscode` import: settings,
// secrets and logs come in through `ServerManagerDeps`.
import { type ChildProcess, spawn as nodeSpawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseReadyLine, parseRuntimeInfo, type ReadyInfo, RUNTIME_FILE } from "../../protocol/runtime.js";
import { ApiClient, ApiError, type Endpoint } from "../client/apiClient.js";
import { Backoff } from "../util/backoff.js";
import { type Disposable, Emitter } from "../util/emitter.js";
import { errorMessage, type Logger } from "../util/log.js";
import { isLoopbackUrl } from "../util/origin.js";
import { serveArgs, serverEnvironment } from "./serverEnv.js";
import { LineSplitter, parseServerLogLine } from "./serverOutput.js";

export interface ServerSettings {
  autoStart: boolean;
  /** An external server's URL; "" to use the bundled one. */
  externalUrl: string;
  port: number;
  dataDir: string;
  tmuxSocket: string;
}

export type ServerSource = "spawned" | "reused" | "external";

export type ServerState =
  | { kind: "stopped"; reason?: string }
  | { kind: "starting"; attempt: number; detail: string }
  | {
      kind: "running";
      endpoint: Endpoint;
      source: ServerSource;
      pid: number | undefined;
      version: string;
      since: number;
    }
  | { kind: "connecting"; url: string; reason: string }
  | {
      kind: "failed";
      reason: string;
      /** An external server answered 401: it needs a token (`missing`) or refused the stored one (`refused`). */
      auth?: TokenProblem;
    };

export type TokenProblem = "missing" | "refused";

export type ServerStateKind = ServerState["kind"];

export interface ServerManagerDeps {
  log: Logger;
  /** Where the server's own log lines (its stderr) go. */
  serverLog: Logger;
  /** Absolute path of dist/server.js. */
  serverScript: string;
  /** The extension's version: a reused server must be the same. */
  version: string;
  settings(): ServerSettings;
  /** The bundled server's token: made once, kept in SecretStorage. */
  localToken(): Promise<string>;
  /** The token stored for this external server's origin, if any (never another server's). */
  externalToken(url: string): Promise<string | undefined>;
  /** An external server refused the token, or wants one and none is stored: the user has to set it. */
  onTokenRefused?(url: string, hadToken: boolean): void;
  execPath?: string;
  env?: NodeJS.ProcessEnv;
  spawn?: typeof nodeSpawn;
  readyTimeoutMs?: number;
  /** Attempts in a row (start failures or quick crashes) before giving up with `failed`. */
  maxAttempts?: number;
  backoff?: Backoff;
  /** A server that ran this long before dying is restarted as if for the first time. */
  stableAfterMs?: number;
}

class StartFailure extends Error {
  /** `fatal`: retrying cannot help (a refused token, a bad URL); fail at once. */
  constructor(
    message: string,
    readonly fatal = false,
    readonly auth?: TokenProblem,
  ) {
    super(message);
  }
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
};

export class ServerManager implements Disposable {
  private current: ServerState = { kind: "stopped" };
  private readonly stateEmitter = new Emitter<ServerState>();
  private child: ChildProcess | undefined;
  private childStopping = false;
  /** `stop()` is under way: sockets closing is expected, not a reason to look for another server. */
  private stopping = 0;
  private run: Promise<Endpoint> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryWake: (() => void) | undefined;
  private checking: Promise<void> | undefined;
  private attempt = 0;
  private readonly backoff: Backoff;
  private generation = 0;
  private disposed = false;
  /** Last lines of the server's stderr, for a failure's reason. */
  private stderrTail: string[] = [];
  /**
   * The companion's endpoint while another server is the active one (`switchServer`): a companion this window
   * started keeps running for the terminals attached to it, and is taken up again when the user switches back.
   */
  private parkedCompanion: Endpoint | undefined;
  /** Servers started by this window so far (restarts included). */
  spawnCount = 0;

  readonly onDidChangeState = this.stateEmitter.event;

  constructor(private readonly deps: ServerManagerDeps) {
    this.backoff = deps.backoff ?? new Backoff({ initialMs: 500, maxMs: 30_000 });
  }

  get state(): ServerState {
    return this.current;
  }

  get endpoint(): Endpoint | undefined {
    return this.current.kind === "running" ? this.current.endpoint : undefined;
  }

  /** The server's endpoint, starting or connecting first if needed. Rejects when it fails or is stopped. */
  start(reason = "start"): Promise<Endpoint> {
    if (this.disposed) return Promise.reject(new Error("Sentinel is shutting down"));
    if (this.current.kind === "running") return Promise.resolve(this.current.endpoint);
    if (this.run) return this.run;
    this.deps.log.info(`server: ${reason}`);
    this.attempt = 0;
    this.backoff.reset();
    const generation = ++this.generation;
    const run = this.acquire(generation).finally(() => {
      if (this.run === run) this.run = undefined;
    });
    this.run = run;
    run.catch(() => undefined);
    return run;
  }

  /** The endpoint once the server runs, without starting it (a stopped server stays stopped). */
  whenRunning(): Promise<Endpoint> {
    if (this.current.kind === "running") return Promise.resolve(this.current.endpoint);
    return new Promise((resolve) => {
      const sub = this.stateEmitter.event((state) => {
        if (state.kind !== "running") return;
        sub.dispose();
        resolve(state.endpoint);
      });
    });
  }

  /** Stops the server this window started (others are left alone) and stays stopped until `start`. */
  async stop(reason = "stopped"): Promise<void> {
    this.stopping++;
    try {
      this.generation++;
      this.cancelRetry();
      this.run = undefined;
      // While another server is active, the companion this window started keeps running for its terminals.
      if (!this.parkedCompanion) await this.stopChild();
      this.setState({ kind: "stopped", reason });
    } finally {
      this.stopping--;
    }
  }

  /**
   * The active server changed (`settings().externalUrl` names another one): connect to it. Unlike `restart`, a
   * companion this window started keeps running (terminals attached to it keep working) and is used again when
   * the companion becomes the active server.
   */
  async switchServer(reason = "switched server"): Promise<Endpoint> {
    this.stopping++;
    try {
      const state = this.current;
      if (state.kind === "running" && state.source !== "external") this.parkedCompanion = state.endpoint;
      this.generation++;
      this.cancelRetry();
      this.run = undefined;
      this.setState({ kind: "stopped", reason });
    } finally {
      this.stopping--;
    }
    return this.start(reason);
  }

  /** The companion's endpoint while it runs, whether or not it is the active server. */
  get companionEndpoint(): Endpoint | undefined {
    const state = this.current;
    if (state.kind === "running" && state.source !== "external") return state.endpoint;
    return this.parkedCompanion;
  }

  async restart(reason = "restart"): Promise<Endpoint> {
    await this.stop(reason);
    return this.start(reason);
  }

  /**
   * Something did not answer (the events socket closed, a request could not connect). Checks the server and, when
   * it is gone, finds or starts another (a spawned server's exit is handled by its exit handler).
   */
  checkHealth(reason: string): Promise<void> {
    // While this window stops its server on purpose, its sockets closing is no news.
    if (this.current.kind !== "running" || this.stopping > 0 || this.disposed || this.checking)
      return this.checking ?? Promise.resolve();
    const state = this.current;
    this.checking = (async () => {
      try {
        await new ApiClient(state.endpoint).meta(2000);
      } catch (error) {
        // An HTTP error is an answer: the server is there.
        if (this.current !== state || error instanceof ApiError) return;
        this.deps.log.warn(
          `server: ${state.endpoint.url} does not answer (${reason}): ${errorMessage(error)}`,
        );
        if (state.source === "spawned" && this.child && this.child.exitCode === null) {
          // Still running: it may be busy. Its exit, if it comes, restarts it.
          return;
        }
        this.setState({ kind: "starting", attempt: 0, detail: "the server went away" });
        this.run = undefined;
        void this.start("the server went away");
      } finally {
        this.checking = undefined;
      }
    })();
    return this.checking;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.generation++;
    this.cancelRetry();
    await this.stopChild();
    this.stateEmitter.dispose();
  }

  private setState(state: ServerState): void {
    this.current = state;
    if (!this.disposed) this.stateEmitter.fire(state);
  }

  private cancelRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.retryWake?.();
    this.retryWake = undefined;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.retryWake = resolve;
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.retryWake = undefined;
        resolve();
      }, ms);
    });
  }

  private async acquire(generation: number): Promise<Endpoint> {
    const settings = this.deps.settings();
    const maxAttempts = this.deps.maxAttempts ?? 5;
    for (;;) {
      if (generation !== this.generation) throw new Error("cancelled");
      this.attempt++;
      try {
        const endpoint = settings.externalUrl
          ? await this.connectExternal(settings.externalUrl, generation)
          : await this.startLocal(settings, generation);
        return endpoint;
      } catch (error) {
        if (generation !== this.generation) throw error;
        const reason = errorMessage(error);
        if (error instanceof StartFailure && error.fatal) {
          this.setState({ kind: "failed", reason, ...(error.auth ? { auth: error.auth } : {}) });
          throw error;
        }
        if (!settings.externalUrl && this.attempt >= maxAttempts) {
          this.deps.log.error(`server: giving up after ${this.attempt} attempts: ${reason}`);
          this.setState({ kind: "failed", reason });
          throw error;
        }
        const delay = this.backoff.next();
        this.deps.log.warn(`server: attempt ${this.attempt} failed (${reason}); retrying in ${delay} ms`);
        if (settings.externalUrl) this.setState({ kind: "connecting", url: settings.externalUrl, reason });
        else this.setState({ kind: "starting", attempt: this.attempt, detail: reason });
        await this.sleep(delay);
      }
    }
  }

  private async connectExternal(url: string, generation: number): Promise<Endpoint> {
    const clean = url.trim().replace(/\/+$/, "");
    if (!/^https?:\/\//i.test(clean))
      throw new StartFailure(`sentinel.server.url "${url}" is not an http(s) URL`, true);
    if (this.current.kind !== "connecting")
      this.setState({ kind: "connecting", url: clean, reason: "connecting" });
    const token = (await this.deps.externalToken(clean)) ?? "";
    const endpoint = { url: clean, token };
    try {
      const meta = await new ApiClient(endpoint).meta(4000);
      if (generation !== this.generation) throw new Error("cancelled");
      this.setRunning(endpoint, "external", undefined, meta.version);
      return endpoint;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        this.deps.onTokenRefused?.(clean, !!token);
        throw new StartFailure(
          token
            ? `${clean} refused the token; set it with "Sentinel: Set Server Token"`
            : `${clean} needs a token; set it with "Sentinel: Set Server Token"`,
          true,
          token ? "refused" : "missing",
        );
      }
      throw error;
    }
  }

  private async startLocal(settings: ServerSettings, generation: number): Promise<Endpoint> {
    this.setState({ kind: "starting", attempt: this.attempt, detail: "starting the server" });
    const token = await this.deps.localToken();
    if (generation !== this.generation) throw new Error("cancelled");
    const parked = this.parkedCompanion;
    this.parkedCompanion = undefined;
    if (parked && this.child && this.child.exitCode === null && this.child.signalCode === null) {
      this.deps.log.info(`server: using the companion again at ${parked.url} (pid ${this.child.pid})`);
      this.setRunning(parked, "spawned", this.child.pid, this.deps.version);
      return parked;
    }
    const reused = await this.tryReuse(settings, token);
    if (generation !== this.generation) throw new Error("cancelled");
    if (reused) return reused;
    return this.spawnServer(settings, token, generation);
  }

  /** A server in the same data dir, alive, of our version, and accepting our token. */
  private async tryReuse(settings: ServerSettings, token: string): Promise<Endpoint | undefined> {
    let text: string;
    try {
      text = readFileSync(join(settings.dataDir, RUNTIME_FILE), "utf8");
    } catch {
      return undefined;
    }
    const info = parseRuntimeInfo(text);
    if (!info || !isAlive(info.pid)) return undefined;
    // The companion listens on loopback; the token is not sent to wherever else a runtime.json may point.
    if (!isLoopbackUrl(info.url)) {
      this.deps.log.warn(`server: not reusing ${info.url} (pid ${info.pid}): not a loopback address`);
      return undefined;
    }
    if (info.version !== this.deps.version) {
      this.deps.log.info(
        `server: not reusing ${info.url} (pid ${info.pid}): version ${info.version}, this extension is ${this.deps.version}`,
      );
      return undefined;
    }
    if (settings.port && info.port !== settings.port) return undefined;
    // It must talk to the same tmux server (a server that does not say is taken to use the default one).
    if ((info.tmuxSocket ?? "") !== settings.tmuxSocket) {
      this.deps.log.info(
        `server: not reusing ${info.url} (pid ${info.pid}): tmux socket "${info.tmuxSocket ?? ""}", this window uses "${settings.tmuxSocket}"`,
      );
      return undefined;
    }
    const endpoint = { url: info.url, token };
    try {
      await new ApiClient(endpoint).meta(1500);
    } catch (error) {
      this.deps.log.info(`server: not reusing ${info.url} (pid ${info.pid}): ${errorMessage(error)}`);
      return undefined;
    }
    this.deps.log.info(`server: reusing ${info.url} (pid ${info.pid})`);
    this.setRunning(endpoint, "reused", info.pid, info.version);
    return endpoint;
  }

  private spawnServer(settings: ServerSettings, token: string, generation: number): Promise<Endpoint> {
    const spawn = this.deps.spawn ?? nodeSpawn;
    const execPath = this.deps.execPath ?? process.execPath;
    const args = serveArgs({
      script: this.deps.serverScript,
      port: settings.port,
      dataDir: settings.dataDir,
      tmuxSocket: settings.tmuxSocket || undefined,
    });
    this.deps.log.info(`server: starting ${execPath} ${args.join(" ")}`);
    this.stderrTail = [];
    const started = Date.now();
    const child = spawn(execPath, args, {
      env: serverEnvironment(this.deps.env ?? process.env, token),
      stdio: ["ignore", "pipe", "pipe"],
      windowsHide: true,
    });
    this.child = child;
    this.childStopping = false;
    this.spawnCount++;
    const stderr = new LineSplitter();
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => this.serverLines(stderr.push(chunk)));
    child.stderr?.on("end", () => this.serverLines(stderr.flush()));

    return new Promise<Endpoint>((resolve, reject) => {
      let ready: ReadyInfo | undefined;
      const stdout = new LineSplitter();
      const timer = setTimeout(() => {
        if (ready) return;
        child.kill("SIGKILL");
        reject(new StartFailure(`the server did not start within ${this.readyTimeout / 1000} s`));
      }, this.readyTimeout);
      child.stdout?.setEncoding("utf8");
      child.stdout?.on("data", (chunk: string) => {
        for (const line of stdout.push(chunk)) {
          if (ready) {
            if (line.trim()) this.deps.serverLog.info(line);
            continue;
          }
          const info = parseReadyLine(line);
          if (!info) {
            if (line.trim()) this.deps.serverLog.info(line);
            continue;
          }
          ready = info;
          clearTimeout(timer);
          if (generation !== this.generation || this.disposed) {
            this.childStopping = true;
            child.kill("SIGTERM");
            reject(new Error("cancelled"));
            return;
          }
          const endpoint = { url: info.url, token };
          this.deps.log.info(
            `server: ready at ${info.url} (pid ${info.pid}, ${Date.now() - started} ms after spawn)`,
          );
          this.setRunning(endpoint, "spawned", info.pid, info.version);
          resolve(endpoint);
        }
      });
      child.once("error", (error) => {
        clearTimeout(timer);
        if (!ready) reject(new StartFailure(`cannot start ${execPath}: ${error.message}`));
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        if (this.child === child) this.child = undefined;
        const how = signal ? `signal ${signal}` : `code ${code}`;
        if (!ready) {
          const tail = this.stderrTail
            .filter((l) => !l.startsWith("{"))
            .slice(-3)
            .join(" ");
          reject(new StartFailure(`the server exited with ${how}${tail ? `: ${tail}` : ""}`));
          return;
        }
        if (this.childStopping || this.disposed) {
          this.childStopping = false;
          this.deps.log.info(`server: stopped (${how})`);
          return;
        }
        const active = this.current;
        if (
          !(active.kind === "running" && active.source === "spawned" && active.pid === ready.pid) &&
          this.parkedCompanion
        ) {
          // Not the active server any more: nothing restarts it; its terminals say they lost it.
          this.parkedCompanion = undefined;
          this.deps.log.warn(`server: the companion (not the active server) exited (${how})`);
          return;
        }
        this.onCrash(how, Date.now() - started);
      });
    });
  }

  private get readyTimeout(): number {
    return this.deps.readyTimeoutMs ?? 20_000;
  }

  private serverLines(lines: string[]): void {
    for (const line of lines) {
      const entry = parseServerLogLine(line);
      if (!entry) continue;
      this.stderrTail.push(entry.message);
      if (this.stderrTail.length > 20) this.stderrTail.shift();
      this.deps.serverLog[entry.level](`[server] ${entry.message}`);
    }
  }

  /** The server this window started died on its own: start again, with backoff while it keeps dying. */
  private onCrash(how: string, ranForMs: number): void {
    this.deps.log.error(`server: exited unexpectedly (${how}) after ${Math.round(ranForMs / 1000)} s`);
    if (ranForMs >= (this.deps.stableAfterMs ?? 60_000)) {
      this.attempt = 0;
      this.backoff.reset();
    }
    const maxAttempts = this.deps.maxAttempts ?? 5;
    if (this.attempt >= maxAttempts) {
      const tail = this.stderrTail.slice(-2).join(" ");
      this.setState({
        kind: "failed",
        reason: `the server keeps exiting (${how})${tail ? `: ${tail}` : ""}`,
      });
      return;
    }
    const delay = this.backoff.next();
    this.setState({ kind: "starting", attempt: this.attempt + 1, detail: `restarting after ${how}` });
    const generation = ++this.generation;
    this.run = (async () => {
      await this.sleep(delay);
      if (generation !== this.generation) throw new Error("cancelled");
      return this.acquire(generation);
    })().finally(() => {
      this.run = undefined;
    });
    this.run.catch(() => undefined);
  }

  private setRunning(
    endpoint: Endpoint,
    source: ServerSource,
    pid: number | undefined,
    version: string,
  ): void {
    this.setState({ kind: "running", endpoint, source, pid, version, since: Date.now() });
  }

  private async stopChild(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.childStopping = true;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timeout = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), 2500).unref());
    if ((await Promise.race([exited, timeout])) === "timeout") {
      this.deps.log.warn("server: did not stop within 2.5 s; killing it");
      child.kill("SIGKILL");
      await exited;
    }
  }
}
