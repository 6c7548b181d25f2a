// Builds the extension's services in order and owns them (after GitLens' Container): log, model, server
// lifecycle, the events and refresh owner, the one API access and command registry, the Sessions view, the areas
// (Recordings, Events, Ops, Recovery: each its folder, built here with the shared AreaHost), terminals and the
// Sessions commands; disposed in reverse order of creation (the test API reads them, src/extension/testApi.ts).
// Nothing here waits: the server is started after activate() has returned.
import { randomBytes } from "node:crypto";
import * as vscode from "vscode";
import { EventType } from "../protocol/events.js";
import { ApiAccess } from "./client/apiAccess.js";
import { RefreshManager, type Tick } from "./client/refreshManager.js";
import { SessionsModel } from "./client/sessionsModel.js";
import { CommandId } from "./commands/commandIds.js";
import type { CommandContext } from "./commands/context.js";
import { Prompts } from "./commands/prompts.js";
import { registerCommands } from "./commands/registerCommands.js";
import { CommandRegistry, executeCommand } from "./commands/registry.js";
import { EventsArea } from "./events/eventsArea.js";
import type { AreaHost } from "./host.js";
import { type Metrics, newMetrics } from "./metrics.js";
import { OpsArea } from "./ops/opsArea.js";
import { RecoveryArea } from "./ops/recoveryArea.js";
import { Recordings } from "./recording/recordings.js";
import { ServerManager, type ServerSettings, type ServerState } from "./server/serverManager.js";
import { Servers } from "./server/servers.js";
import { ServerTokens } from "./server/serverTokens.js";
import { TerminalManager } from "./terminal/terminalManager.js";
import { ContextKey, ContextKeys } from "./views/contextKeys.js";
import { SERVERS_VIEW_ID, ServersTreeProvider } from "./views/serversView.js";
import { SESSIONS_VIEW_ID, type SessionNode, SessionsTreeProvider } from "./views/sessionsView.js";
import { StatusBar } from "./views/statusBar.js";

const LOCAL_TOKEN_KEY = "sentinel.localToken";
/** globalState key of the active server's id (ADR 0019). */
const ACTIVE_SERVER_KEY = "sentinel.activeServer";
/** Settings that list the servers (ADR 0019). */
const SERVERS_SETTINGS = ["sentinel.servers", "sentinel.server.url"];
/** Settings whose change means another companion (or another way to start it). */
const SERVER_SETTINGS = ["sentinel.server.port", "sentinel.dataDir", "sentinel.tmuxSocket"];

export class Container implements vscode.Disposable {
  readonly log: vscode.LogOutputChannel;
  readonly model = new SessionsModel();
  readonly server: ServerManager;
  readonly refresh: RefreshManager;
  readonly tree: SessionsTreeProvider;
  readonly view: vscode.TreeView<unknown>;
  readonly statusBar = new StatusBar();
  readonly terminals: TerminalManager;
  readonly prompts = new Prompts();
  readonly contextKeys = new ContextKeys();
  /** External servers' tokens, one per origin (the companion's own token is `getLocalToken`). */
  readonly tokens: ServerTokens;
  /** The known servers and the active one, which `server` starts or connects to (ADR 0019). */
  readonly servers: Servers;
  readonly serversTree: ServersTreeProvider;
  readonly serversView: vscode.TreeView<unknown>;
  /** The one way to the HTTP API (starts the server when needed). */
  readonly api: ApiAccess;
  /** Every command, one wrapper (src/extension/commands/registry.ts). */
  readonly commands: CommandRegistry;
  readonly recordings: Recordings;
  readonly events: EventsArea;
  readonly ops: OpsArea;
  readonly recovery: RecoveryArea;
  /** Timings for the test API: in test builds only (src/extension/metrics.ts). */
  readonly metrics: Metrics | undefined = __SENTINEL_TEST__ ? newMetrics() : undefined;
  /** Everything this container made, in order of creation; disposed in reverse (the server last, awaited). */
  private readonly disposables: vscode.Disposable[] = [this.model, this.statusBar];
  private localToken: Promise<string> | undefined;
  /** Activity times are relative ("3m ago"): the refresh owner's clock redraws them while they can be seen. */
  private readonly minuteTick: Tick;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly activatedAt: number,
  ) {
    this.log = vscode.window.createOutputChannel("Sentinel", { log: true });
    const version = String(context.extension.packageJSON.version ?? "");
    this.tokens = new ServerTokens(context.secrets, this.log);
    this.server = new ServerManager({
      log: this.log,
      serverLog: this.log,
      serverScript: context.asAbsolutePath("dist/server.js"),
      version,
      settings: () => this.settings(),
      localToken: () => this.getLocalToken(),
      externalToken: (url) => this.tokens.get(url),
      onTokenRefused: (url, hadToken) => {
        void vscode.window
          .showWarningMessage(
            `Sentinel: ${url} ${hadToken ? "refused the stored token" : "needs a token"}.`,
            "Set Server Token",
          )
          .then((choice) => {
            if (choice) void executeCommand(CommandId.SetServerToken);
          });
      },
    });
    this.servers = new Servers({
      log: this.log,
      server: this.server,
      tokens: this.tokens,
      settings: () => {
        const config = vscode.workspace.getConfiguration("sentinel");
        return { servers: config.get("servers", []), legacyUrl: config.get<string>("server.url", "") };
      },
      storedActive: () => context.globalState.get<string>(ACTIVE_SERVER_KEY),
      storeActive: (id) => context.globalState.update(ACTIVE_SERVER_KEY, id),
    });
    this.serversTree = new ServersTreeProvider(this.servers);
    this.serversView = vscode.window.createTreeView(SERVERS_VIEW_ID, { treeDataProvider: this.serversTree });
    this.disposables.push(this.servers, this.serversTree, this.serversView);
    this.refresh = new RefreshManager({
      model: this.model,
      log: this.log,
      onUnreachable: (reason) => void this.server.checkHealth(reason),
      onHandshakeFailure: (failure) => {
        if (failure.status === 401) void this.server.checkHealth("events socket refused the token");
      },
    });
    this.api = new ApiAccess(this.server, this.refresh);
    this.commands = new CommandRegistry(this.log);
    this.disposables.push(this.refresh, this.commands);
    this.tree = new SessionsTreeProvider(this.model, this.refresh);
    this.tree.onFirstRender = () => {
      const ms = Math.round(performance.now() - this.activatedAt);
      if (__SENTINEL_TEST__ && this.metrics) this.metrics.firstTreeRenderMs = ms;
      this.log.info(`tree: first render with sessions ${ms} ms after activation`);
    };
    this.view = vscode.window.createTreeView(SESSIONS_VIEW_ID, {
      treeDataProvider: this.tree,
      showCollapseAll: true,
      // Kill Session / Window / Pane act on every selected row after one question (registerCommands.ts).
      canSelectMany: true,
    });
    this.disposables.push(this.tree, this.view);
    this.minuteTick = this.refresh.tick("sessions", 60_000, () => this.tree.trigger());
    this.disposables.push(this.minuteTick);
    const host: AreaHost = {
      context,
      log: this.log,
      server: this.server,
      refresh: this.refresh,
      api: this.api,
      sessions: this.model,
      sessionsTree: this.tree,
      prompts: this.prompts,
      commands: this.commands,
      contextKeys: this.contextKeys,
    };
    this.recordings = new Recordings(host);
    this.events = new EventsArea(host);
    this.ops = new OpsArea(host);
    this.recovery = new RecoveryArea(host);
    this.terminals = new TerminalManager(
      this.server,
      this.servers,
      this.refresh,
      this.model,
      this.log,
      this.metrics,
      () =>
        vscode.workspace.getConfiguration("sentinel").get<"panel" | "editor">("terminal.location", "panel"),
    );
    this.disposables.push(this.recordings, this.events, this.ops, this.recovery, this.terminals);

    const subscriptions = [
      this.model.onDidChange((change) => {
        this.tree.onModelChange(change);
        this.updateUi();
      }),
      this.server.onDidChangeState((state) => this.onServerState(state)),
      this.servers.onDidChange(() => this.updateUi()),
      this.refresh.onDidChangeStatus(() => this.updateUi()),
      this.refresh.onEvent(EventType.GuardrailBlocked, (payload) =>
        this.log.info(`guardrail: ${JSON.stringify(payload)}`),
      ),
    ];
    for (const s of subscriptions) this.disposables.push({ dispose: () => s.dispose() });

    const commandContext: CommandContext = {
      server: this.server,
      api: this.api,
      refresh: this.refresh,
      model: this.model,
      terminals: this.terminals,
      prompts: this.prompts,
      tree: this.tree,
      log: this.log,
      tokens: this.tokens,
      servers: this.servers,
      showView: () => vscode.commands.executeCommand(`${SESSIONS_VIEW_ID}.focus`),
      selection: () => this.view.selection as readonly SessionNode[],
    };
    registerCommands(commandContext, this.commands);
    this.disposables.push(
      this.view.onDidChangeVisibility((e) => this.onVisibility(e.visible)),
      this.serversView.onDidChangeVisibility((e) => this.servers.setVisible(e.visible)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (SERVERS_SETTINGS.some((key) => e.affectsConfiguration(key))) void this.onServersSettings(e);
        else if (SERVER_SETTINGS.some((key) => e.affectsConfiguration(key))) {
          this.log.info("settings changed: reconnecting");
          void this.server.restart("settings changed").catch(() => undefined);
        }
      }),
    );
    this.onVisibility(this.view.visible);
    this.servers.setVisible(this.serversView.visible);
    this.onServerState(this.server.state);

    if (this.settings().autoStart || this.settings().externalUrl) {
      // Only the state changes now (the view says "starting" at once, no "stopped" flicker); reading the token,
      // probing runtime.json and spawning all happen after activate() has returned.
      this.server.start("activation").catch(() => undefined);
    }
  }

  settings(): ServerSettings {
    const config = vscode.workspace.getConfiguration("sentinel");
    const dataDir = config.get<string>("dataDir", "").trim();
    return {
      autoStart: config.get<boolean>("autoStart", true),
      // The active server's (ADR 0019): "" for the companion.
      externalUrl: this.servers.active.url ?? "",
      port: config.get<number>("server.port", 0),
      dataDir: dataDir || this.context.globalStorageUri.fsPath,
      tmuxSocket: config.get<string>("tmuxSocket", "").trim(),
    };
  }

  /**
   * `sentinel.servers` or `sentinel.server.url` changed: the list is read again. Setting `sentinel.server.url`
   * makes its server the active one (what it did before there was a list); a removed active server gives way to
   * the companion. Either way the ServerManager switches (the companion is kept for its terminals).
   */
  private async onServersSettings(e: vscode.ConfigurationChangeEvent): Promise<void> {
    const before = this.servers.active;
    this.servers.reload();
    const legacy = this.servers.list().find((r) => r.entry.source === "server.url")?.entry;
    if (e.affectsConfiguration("sentinel.server.url") && legacy && legacy.id !== this.servers.activeId)
      await this.servers.use(legacy.id);
    const after = this.servers.active;
    if (before.id === after.id && before.url === after.url) return;
    this.log.info(`settings changed: the active server is now ${after.name} (${after.url ?? "companion"})`);
    void this.server.switchServer("settings changed").catch(() => undefined);
  }

  /** The bundled server's token: made once and kept in SecretStorage (in memory when that is unavailable). */
  private getLocalToken(): Promise<string> {
    this.localToken ??= (async () => {
      const fresh = () => randomBytes(32).toString("base64url");
      try {
        const stored = await this.context.secrets.get(LOCAL_TOKEN_KEY);
        if (stored) return stored;
        const token = fresh();
        await this.context.secrets.store(LOCAL_TOKEN_KEY, token);
        return token;
      } catch (error) {
        this.log.warn(
          `SecretStorage unavailable (${(error as Error).message}); using a token for this window only`,
        );
        return fresh();
      }
    })();
    return this.localToken;
  }

  private onVisibility(visible: boolean): void {
    this.refresh.setViewVisible(visible);
    this.minuteTick.active = visible;
  }

  private onServerState(state: ServerState): void {
    this.log.debug(`server state: ${state.kind}`);
    if (state.kind === "running") {
      if (__SENTINEL_TEST__ && this.metrics)
        this.metrics.serverReadyMs ??= Math.round(performance.now() - this.activatedAt);
      this.refresh.setEndpoint(state.endpoint);
    } else if (state.kind === "stopped" || state.kind === "failed") {
      this.refresh.setEndpoint(undefined);
      this.model.clear();
    }
    this.updateUi();
  }

  private updateUi(): void {
    const state = this.server.state;
    const status = this.refresh.currentStatus;
    const keys = this.contextKeys;
    keys.set(ContextKey.ServerState, state.kind);
    keys.set(ContextKey.ServerAuth, state.kind === "failed" ? (state.auth ?? "") : "");
    const active = this.servers.active;
    keys.set(ContextKey.External, active.url !== undefined);
    keys.set(ContextKey.OwnsServer, state.kind === "running" && state.source === "spawned");
    keys.set(ContextKey.TmuxMissing, status.tmuxMissing);
    keys.set(ContextKey.SessionsLoaded, this.model.loaded);
    keys.set(ContextKey.SessionCount, this.model.sessions().length);
    keys.set(ContextKey.EventsConnected, status.connection === "open");

    const totals = this.model.totals();
    this.statusBar.update(state, totals, status.connection === "open", active.url ? active.name : undefined);
    this.view.badge =
      totals.panes > 0
        ? { value: totals.panes, tooltip: `${totals.panes} unread pane${totals.panes === 1 ? "" : "s"}` }
        : undefined;
    const hasRows = this.model.sessions().length > 0;
    // A view with a message hides its welcome content (VS Code's TreeView): the states whose welcome has buttons
    // (connecting, failed, a token to set) say what they need there, keyed on the context keys above, and only
    // name their detail in the view's description. A message only says something about rows that are shown.
    let message: string | undefined;
    if (hasRows && state.kind === "starting") message = `Restarting the Sentinel server (${state.detail})…`;
    else if (hasRows && state.kind === "connecting")
      message = `Connecting to ${state.url}… (${state.reason})`;
    else if (
      state.kind === "running" &&
      status.connection !== "open" &&
      status.connection !== "idle" &&
      this.model.loaded
    )
      message = "Live updates are reconnecting; the list is refreshed every few seconds.";
    if (this.view.message !== message) this.view.message = message;
    // Otherwise the description names the active server when there is more than the companion (ADR 0019).
    const description =
      state.kind === "failed"
        ? clip(state.reason)
        : state.kind === "connecting" && !hasRows
          ? clip(`${state.url}: ${state.reason}`)
          : this.servers.list().length > 1
            ? active.name
            : undefined;
    if (this.view.description !== description) this.view.description = description;
  }

  async dispose(): Promise<void> {
    for (const d of this.disposables.splice(0).reverse()) d.dispose();
    // Stops the server only when this window started it.
    await this.server.dispose();
    this.log.dispose();
  }
}

/** A reason short enough for a view's title bar (the whole of it is in the log). */
function clip(text: string, max = 120): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
