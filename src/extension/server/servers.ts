// The server switcher (ADR 0019): the known servers (serverList.ts), which one is active, and each one's health.
// The active server is the ServerManager's (it starts the companion or connects to the external server named by
// `settings().externalUrl`); its health is the ServerManager's state. Every other server is probed on its own:
// GET /api/meta with the token stored for its origin (an authenticated request: it answers 401 without the right
// token), while the Servers view is visible, every minute once it answered and with a growing backoff while it
// does not; the companion is probed only while it runs. Terminals keep the server they were attached on
// (`endpointFor`), whichever is active later. No `vscode` import: settings and storage come in through deps.
import { ApiClient, ApiError, type Endpoint, UnreachableError } from "../client/apiClient.js";
import { Backoff } from "../util/backoff.js";
import { type Disposable, Emitter } from "../util/emitter.js";
import { errorMessage, type Logger } from "../util/log.js";
import { activeServerId, COMPANION_ID, readServerEntries, type ServerEntry } from "./serverList.js";
import type { ServerManager, ServerState, TokenProblem } from "./serverManager.js";
import type { ServerTokens } from "./serverTokens.js";

export type ServerHealth =
  | { kind: "unknown" }
  | { kind: "stopped"; reason?: string }
  | { kind: "connecting"; reason: string }
  | { kind: "connected"; version: string; sessions?: number }
  | { kind: "auth"; problem: TokenProblem }
  | { kind: "unreachable"; reason: string }
  | { kind: "error"; reason: string };

export type ServerHealthKind = ServerHealth["kind"];

export interface ServerRow {
  entry: ServerEntry;
  active: boolean;
  health: ServerHealth;
}

/** Which server a terminal was attached on: its id, and its URL then (an external server's). */
export interface ServerBinding {
  id: string;
  url: string | undefined;
}

export interface ServersDeps {
  log: Logger;
  server: Pick<
    ServerManager,
    "state" | "onDidChangeState" | "companionEndpoint" | "start" | "whenRunning" | "endpoint"
  >;
  tokens: Pick<ServerTokens, "get">;
  /** `sentinel.servers` and `sentinel.server.url` as set now. */
  settings(): { servers: unknown; legacyUrl: string };
  /** The active server chosen last (globalState), and storing a new choice. */
  storedActive(): string | undefined;
  storeActive(id: string): PromiseLike<void>;
  /** Delay after a probe that answered (default 60 s). */
  healthyIntervalMs?: number;
  /** Delays after probes that failed (default 5 s doubling to 2 min). */
  backoff?: () => Backoff;
}

/** An external server's answer to an authenticated GET /api/meta, then GET /api/tmux/sessions. */
export async function probeServer(endpoint: Endpoint, timeoutMs = 4000): Promise<ServerHealth> {
  const client = new ApiClient(endpoint, { timeoutMs });
  try {
    const meta = await client.meta(timeoutMs);
    let sessions: number | undefined;
    try {
      sessions = (await client.sessions()).length;
    } catch {
      // tmux may be missing there; the server answered, which is what the row says.
    }
    return { kind: "connected", version: meta.version, ...(sessions === undefined ? {} : { sessions }) };
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403))
      return { kind: "auth", problem: endpoint.token ? "refused" : "missing" };
    if (error instanceof UnreachableError) return { kind: "unreachable", reason: errorMessage(error) };
    return { kind: "error", reason: errorMessage(error) };
  }
}

/** The active server's health, from the ServerManager's state. */
export function healthOfState(state: ServerState): ServerHealth {
  switch (state.kind) {
    case "running":
      return { kind: "connected", version: state.version };
    case "starting":
      return { kind: "connecting", reason: state.detail };
    case "connecting":
      return { kind: "connecting", reason: state.reason };
    case "failed":
      return state.auth ? { kind: "auth", problem: state.auth } : { kind: "error", reason: state.reason };
    case "stopped":
      return { kind: "stopped", ...(state.reason ? { reason: state.reason } : {}) };
  }
}

interface Probe {
  health: ServerHealth;
  timer: NodeJS.Timeout | undefined;
  backoff: Backoff;
  running: boolean;
  generation: number;
}

export class Servers implements Disposable {
  private entries: ServerEntry[] = [];
  private activeIdValue = COMPANION_ID;
  private readonly probes = new Map<string, Probe>();
  private visible = false;
  private disposed = false;
  private readonly changeEmitter = new Emitter<void>();
  private readonly stateSubscription: Disposable;
  /** Problems of the settings as last read (bad URLs, repeats), for the log. */
  problems: string[] = [];
  /** The list, a server's health, or the active server changed. */
  readonly onDidChange = this.changeEmitter.event;

  constructor(private readonly deps: ServersDeps) {
    this.reload();
    this.stateSubscription = deps.server.onDidChangeState(() => {
      this.changeEmitter.fire();
      // The companion runs (or stopped) while another server is active: its row follows.
      if (this.activeIdValue !== COMPANION_ID) this.probeSoon(COMPANION_ID, 0);
    });
  }

  get activeId(): string {
    return this.activeIdValue;
  }

  get active(): ServerEntry {
    return this.entry(this.activeIdValue) ?? this.entries[0]!;
  }

  entry(id: string): ServerEntry | undefined {
    return this.entries.find((e) => e.id === id);
  }

  list(): ServerRow[] {
    return this.entries.map((entry) => ({
      entry,
      active: entry.id === this.activeIdValue,
      health: this.health(entry.id),
    }));
  }

  health(id: string): ServerHealth {
    if (id === this.activeIdValue) return healthOfState(this.deps.server.state);
    return this.probes.get(id)?.health ?? { kind: "unknown" };
  }

  /** Reads the settings again; true when the active server changed (it was removed, or the choice was). */
  reload(): boolean {
    const { servers, legacyUrl } = this.deps.settings();
    const { entries, problems } = readServerEntries(servers, legacyUrl);
    for (const problem of problems)
      if (!this.problems.includes(problem)) this.deps.log.warn(`servers: ${problem}`);
    this.problems = problems;
    const before = this.active as ServerEntry | undefined;
    this.entries = entries;
    for (const [id, probe] of this.probes) {
      if (entries.some((e) => e.id === id)) continue;
      if (probe.timer) clearTimeout(probe.timer);
      this.probes.delete(id);
    }
    this.activeIdValue = activeServerId(entries, this.deps.storedActive());
    const after = this.active;
    this.changeEmitter.fire();
    this.scheduleAll();
    return !before || before.id !== after.id || before.url !== after.url;
  }

  /** Makes `id` the active server (the caller then switches the ServerManager to it). */
  async use(id: string): Promise<ServerEntry> {
    const entry = this.entry(id);
    if (!entry) throw new Error(`no server ${id}`);
    await this.deps.storeActive(id);
    const previous = this.activeIdValue;
    this.activeIdValue = id;
    if (previous !== id) {
      // The server left its place as the active one: its row is probed from now on.
      const old = this.probes.get(previous);
      if (old) this.cancel(old);
      this.probes.delete(previous);
      this.probeSoon(previous, 0);
    }
    this.changeEmitter.fire();
    return entry;
  }

  /** The Servers view is shown (probes run) or hidden (they wait). */
  setVisible(visible: boolean): void {
    if (visible === this.visible) return;
    this.visible = visible;
    if (visible) this.scheduleAll();
    else for (const probe of this.probes.values()) this.cancel(probe);
  }

  /** Probes a server that is not the active one now (Retry, a token set). */
  probeNow(id: string): Promise<void> {
    const probe = this.probe(id);
    probe.backoff.reset();
    return this.runProbe(id, probe);
  }

  /** Where a terminal attached on `binding` attaches again, whichever server is active now. */
  async endpointFor(binding: ServerBinding, reattach: boolean): Promise<Endpoint> {
    if (binding.id === this.activeIdValue) {
      const endpoint = reattach
        ? await this.deps.server.whenRunning()
        : await this.deps.server.start("terminal attach");
      // The active server changed while waiting: this terminal's server is another one.
      if (binding.id === this.activeIdValue) return endpoint;
    }
    const endpoint = await this.endpointNow(binding);
    if (!endpoint) throw new Error("the companion server is not running");
    return endpoint;
  }

  /** The endpoint of `binding`'s server without starting or waiting for anything; undefined when not known. */
  async endpointNow(binding: ServerBinding): Promise<Endpoint | undefined> {
    if (binding.id === this.activeIdValue) return this.deps.server.endpoint;
    if (binding.id === COMPANION_ID) return this.deps.server.companionEndpoint;
    const url = this.entry(binding.id)?.url ?? binding.url;
    if (!url) return undefined;
    // The token stored for this URL's origin (the binding's id is that origin): never another server's.
    return { url, token: (await this.deps.tokens.get(url)) ?? "" };
  }

  dispose(): void {
    this.disposed = true;
    this.stateSubscription.dispose();
    for (const probe of this.probes.values()) this.cancel(probe);
    this.probes.clear();
    this.changeEmitter.dispose();
  }

  private probe(id: string): Probe {
    let probe = this.probes.get(id);
    if (!probe) {
      probe = {
        health: { kind: "unknown" },
        timer: undefined,
        backoff: this.deps.backoff?.() ?? new Backoff({ initialMs: 5000, maxMs: 120_000 }),
        running: false,
        generation: 0,
      };
      this.probes.set(id, probe);
    }
    return probe;
  }

  private cancel(probe: Probe): void {
    if (probe.timer) clearTimeout(probe.timer);
    probe.timer = undefined;
  }

  private scheduleAll(): void {
    if (!this.visible) return;
    for (const entry of this.entries) {
      if (entry.id === this.activeIdValue) continue;
      const probe = this.probe(entry.id);
      if (!probe.timer && !probe.running)
        this.probeSoon(entry.id, probe.health.kind === "unknown" ? 0 : 1000);
    }
  }

  private probeSoon(id: string, delayMs: number): void {
    if (this.disposed || id === this.activeIdValue || !this.entry(id)) return;
    const probe = this.probe(id);
    this.cancel(probe);
    if (!this.visible && probe.health.kind !== "unknown" && id !== COMPANION_ID) return;
    probe.timer = setTimeout(() => {
      probe.timer = undefined;
      void this.runProbe(id, probe);
    }, delayMs);
  }

  private async runProbe(id: string, probe: Probe): Promise<void> {
    if (this.disposed || id === this.activeIdValue) return;
    const entry = this.entry(id);
    if (!entry) return;
    this.cancel(probe);
    const generation = ++probe.generation;
    probe.running = true;
    let health: ServerHealth;
    try {
      const endpoint = await this.endpointNow({ id, url: entry.url });
      health = endpoint ? await probeServer(endpoint) : { kind: "stopped" };
    } catch (error) {
      health = { kind: "error", reason: errorMessage(error) };
    } finally {
      probe.running = false;
    }
    if (this.disposed || generation !== probe.generation || this.probes.get(id) !== probe) return;
    if (JSON.stringify(health) !== JSON.stringify(probe.health)) {
      this.deps.log.info(`servers: ${entry.name} (${entry.url ?? "companion"}): ${describeHealth(health)}`);
      probe.health = health;
      this.changeEmitter.fire();
    }
    // The companion's row follows its state changes; it is not polled while stopped.
    if (!this.visible || health.kind === "stopped") return;
    let delay: number;
    if (health.kind === "connected") {
      probe.backoff.reset();
      delay = this.deps.healthyIntervalMs ?? 60_000;
    } else delay = probe.backoff.next();
    probe.timer = setTimeout(() => {
      probe.timer = undefined;
      void this.runProbe(id, probe);
    }, delay);
  }
}

/** A server's health in a few words, for its row and the log. */
export function describeHealth(health: ServerHealth): string {
  switch (health.kind) {
    case "unknown":
      return "not checked yet";
    case "stopped":
      return "stopped";
    case "connecting":
      return `connecting (${health.reason})`;
    case "connected":
      return `connected${health.sessions === undefined ? "" : ` · ${health.sessions} session${health.sessions === 1 ? "" : "s"}`}`;
    case "auth":
      return health.problem === "missing" ? "needs a token" : "refused the token";
    case "unreachable":
      return `unreachable: ${health.reason}`;
    case "error":
      return health.reason;
  }
}
