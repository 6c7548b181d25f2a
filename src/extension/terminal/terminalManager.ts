// Sentinel terminals: one Pseudoterminal per attach (TmuxAttachment underneath), reused per session (or per
// window or pane shown in a terminal of its own, ADR 0014) while it is attached, never once it ended, following
// session renames; presence (spec §1.4, §3.5) for the focused one, sent on the events socket (HTTP when it is
// down) on every focus change and every 10 s; the "Sentinel: tmux session" terminal profile.
import { randomUUID } from "node:crypto";
import * as vscode from "vscode";
import { isSessionName } from "../../protocol/validate.js";
import { ApiClient } from "../client/apiClient.js";
import type { RefreshManager } from "../client/refreshManager.js";
import type { SessionsModel } from "../client/sessionsModel.js";
import type { Metrics } from "../metrics.js";
import { COMPANION_ID } from "../server/serverList.js";
import type { ServerManager } from "../server/serverManager.js";
import type { ServerBinding, Servers } from "../server/servers.js";
import { type AttachState, type AttachView, TmuxAttachment, viewLabel } from "./attachment.js";

export const TERMINAL_PROFILE_ID = "sentinel.tmux";
const PRESENCE_HEARTBEAT_MS = 10_000;

export interface TerminalInfo {
  name: string;
  session: string;
  /** The id of the server it is attached on (ADR 0019): the companion, or an external server's origin. */
  server: string;
  /** The window or pane it shows in a terminal of its own; undefined: the session. */
  view: AttachView | undefined;
  state: AttachState;
  terminalId: string;
  attaches: number;
  /** The last few KiB of text this terminal was given to show (what its Pseudoterminal wrote), for tests. */
  output: string;
}

/** How much of a terminal's recent output `list()` reports. */
const OUTPUT_TAIL = 16 * 1024;

interface Entry {
  terminal: vscode.Terminal | undefined;
  pty: TmuxPseudoterminal;
  terminalId: string;
  /** The server it was attached on: it stays there when another server becomes the active one. */
  server: ServerBinding;
  /** The server's name, in the terminal's title when it is not the companion. */
  serverName: string | undefined;
}

class TmuxPseudoterminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number>();
  private readonly nameEmitter = new vscode.EventEmitter<string>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  readonly onDidChangeName = this.nameEmitter.event;
  readonly attachment: TmuxAttachment;
  /** The tail of what was written to the terminal. */
  output = "";
  private opened = false;

  constructor(
    session: string,
    host: Omit<ConstructorParameters<typeof TmuxAttachment>[1], "write" | "exit">,
    view: AttachView | undefined,
    private readonly serverName: string | undefined,
  ) {
    this.attachment = new TmuxAttachment(
      session,
      {
        ...host,
        write: (text) => {
          this.output = (this.output + text).slice(-OUTPUT_TAIL);
          this.writeEmitter.fire(text);
        },
        exit: (code) => this.closeEmitter.fire(code),
      },
      view,
    );
  }

  open(dimensions: vscode.TerminalDimensions | undefined): void {
    this.opened = true;
    this.attachment.open(dimensions?.columns, dimensions?.rows);
  }

  get isOpen(): boolean {
    return this.opened;
  }

  setDimensions(dimensions: vscode.TerminalDimensions): void {
    this.attachment.resize(dimensions.columns, dimensions.rows);
  }

  handleInput(data: string): void {
    this.attachment.input(data);
  }

  rename(session: string): void {
    this.attachment.rename(session);
    this.nameEmitter.fire(terminalName(session, this.attachment.view, this.serverName));
  }

  close(): void {
    this.attachment.close();
    this.writeEmitter.dispose();
    this.closeEmitter.dispose();
    this.nameEmitter.dispose();
  }
}

/** `tmux: main`, or `tmux: main (prod)` on an external server named prod. */
export function terminalName(session: string, view?: AttachView, server?: string): string {
  return `tmux: ${viewLabel(session, view)}${server ? ` (${server})` : ""}`;
}

const sameView = (a: AttachView | undefined, b: AttachView | undefined) =>
  a === b || (a !== undefined && b !== undefined && viewLabel("", a) === viewLabel("", b));

export class TerminalManager implements vscode.Disposable {
  private readonly entries = new Set<Entry>();
  private readonly disposables: vscode.Disposable[] = [];
  private focused: Entry | undefined;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly server: ServerManager,
    private readonly servers: Servers,
    private readonly refresh: RefreshManager,
    private readonly model: SessionsModel,
    private readonly log: vscode.LogOutputChannel,
    /** The test build's timings (src/extension/metrics.ts); undefined in production. */
    private readonly metrics: Metrics | undefined,
    private readonly location: () => "panel" | "editor",
  ) {
    this.disposables.push(
      vscode.window.onDidCloseTerminal((terminal) => {
        const entry = this.find((e) => e.terminal === terminal);
        if (!entry) return;
        this.entries.delete(entry);
        if (this.focused === entry) {
          this.sendPresence(entry, false);
          this.focused = undefined;
        }
        this.updateFocus();
      }),
      vscode.window.onDidChangeActiveTerminal(() => this.updateFocus()),
      vscode.window.onDidChangeWindowState(() => this.updateFocus()),
      vscode.window.registerTerminalProfileProvider(TERMINAL_PROFILE_ID, {
        provideTerminalProfile: async () => {
          const session = await this.pickSessionForProfile();
          if (!session) return undefined;
          const entry = this.createEntry(session, undefined);
          return new vscode.TerminalProfile(this.terminalOptions(entry));
        },
      }),
    );
    // Renames seen on the active server's events socket: its terminals only.
    const renames = this.refresh.onDidRenameSession((r) => this.onRename(r.from, r.to));
    this.disposables.push({ dispose: () => renames.dispose() });
    // A restarted server: terminals waiting to re-attach try at once.
    const states = this.server.onDidChangeState((state) => {
      if (state.kind === "running") for (const e of this.entries) e.pty.attachment.retryNow();
    });
    this.disposables.push({ dispose: () => states.dispose() });
    // The model learns the active pane later than presence is first sent.
    const changes = this.model.onDidChange((change) => {
      if (this.focused && change.sessions.has(this.focused.pty.attachment.session))
        this.sendPresence(this.focused, true, "model");
    });
    this.disposables.push({ dispose: () => changes.dispose() });
  }

  /**
   * Shows the terminal of the session (or of its window or pane, `view`), creating it when there is none. A
   * terminal whose attachment is over (its session ended, e.g. on a server switched away from, or it was closed)
   * is not brought back: it is closed and attached anew. A detached one attaches again.
   */
  attach(session: string, options: { preserveFocus?: boolean; view?: AttachView } = {}): vscode.Terminal {
    const { view } = options;
    // A session of the active server: the same name on another server is another session.
    const server = this.servers.activeId;
    const mine = (e: Entry) =>
      e.server.id === server && e.pty.attachment.session === session && sameView(e.pty.attachment.view, view);
    for (const entry of [...this.entries]) {
      const state = entry.pty.attachment.state;
      if (!mine(entry) || (state !== "ended" && state !== "closed")) continue;
      this.entries.delete(entry);
      if (this.focused === entry) this.focused = undefined;
      entry.pty.attachment.close();
      entry.terminal?.dispose();
    }
    const existing = this.find((e) => mine(e) && e.terminal !== undefined);
    if (existing?.terminal) {
      if (existing.pty.attachment.state === "detached") existing.pty.attachment.reattach();
      existing.terminal.show(options.preserveFocus);
      return existing.terminal;
    }
    const entry = this.createEntry(session, view);
    const terminal = vscode.window.createTerminal(this.terminalOptions(entry));
    entry.terminal = terminal;
    terminal.show(options.preserveFocus);
    return terminal;
  }

  /** The open terminal of a session of the active server (not of one of its windows or panes), if any. */
  terminalFor(session: string): vscode.Terminal | undefined {
    return this.find(
      (e) =>
        e.server.id === this.servers.activeId &&
        e.pty.attachment.session === session &&
        !e.pty.attachment.view,
    )?.terminal;
  }

  list(): TerminalInfo[] {
    return [...this.entries].map((e) => ({
      name: terminalName(e.pty.attachment.session, e.pty.attachment.view, e.serverName),
      session: e.pty.attachment.session,
      server: e.server.id,
      view: e.pty.attachment.view,
      state: e.pty.attachment.state,
      terminalId: e.terminalId,
      attaches: e.pty.attachment.attaches,
      output: e.pty.output,
    }));
  }

  dispose(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const d of this.disposables.splice(0)) d.dispose();
    for (const entry of this.entries) entry.pty.attachment.close();
    this.entries.clear();
  }

  private find(predicate: (entry: Entry) => boolean): Entry | undefined {
    for (const entry of this.entries) if (predicate(entry)) return entry;
    return undefined;
  }

  private terminalOptions(entry: Entry): vscode.ExtensionTerminalOptions {
    return {
      name: terminalName(entry.pty.attachment.session, entry.pty.attachment.view, entry.serverName),
      pty: entry.pty,
      iconPath: new vscode.ThemeIcon("terminal-tmux"),
      isTransient: true,
      location: this.location() === "editor" ? vscode.TerminalLocation.Editor : vscode.TerminalLocation.Panel,
    };
  }

  private createEntry(session: string, view: AttachView | undefined): Entry {
    const requestedAt = performance.now();
    let first = true;
    const active = this.servers.active;
    const server: ServerBinding = { id: active.id, url: active.url };
    const serverName = active.id === COMPANION_ID ? undefined : active.name;
    const entry: Entry = {
      terminal: undefined,
      terminalId: `vscode-${randomUUID()}`,
      server,
      serverName,
      pty: new TmuxPseudoterminal(
        session,
        {
          log: this.log,
          // Its own server's endpoint, whichever server is active now.
          endpoint: (reattach) => this.servers.endpointFor(server, reattach),
          sessionExists: async (name) => {
            const endpoint = await this.servers.endpointNow(server);
            if (!endpoint) return undefined;
            try {
              return (await new ApiClient(endpoint).sessions()).some((s) => s.name === name);
            } catch {
              return undefined;
            }
          },
          onStateChange: (state, detail) => {
            this.log.info(
              `terminal ${terminalName(entry.pty.attachment.session, view)}: ${state}${detail ? ` (${detail})` : ""}`,
            );
            if (state === "attached") this.updateFocus(true);
            // Attached counts changed, or the session is gone: the watchtower would say so within a tick, the list
            // says so now.
            if (
              (state === "attached" || state === "detached" || state === "ended") &&
              server.id === this.servers.activeId
            )
              this.refresh.scheduleSessionsReload();
          },
          onFirstOutput: (sinceConnect) => {
            if (!first) return;
            first = false;
            const total = Math.round(performance.now() - requestedAt);
            if (__SENTINEL_TEST__) this.metrics?.attachToFirstScreenMs.push(total);
            this.log.info(
              `terminal ${terminalName(entry.pty.attachment.session, view)}: first screen ${total} ms after the request ` +
                `(${Math.round(sinceConnect)} ms after connecting)`,
            );
          },
        },
        view,
        serverName,
      ),
    };
    this.entries.add(entry);
    // A profile-created terminal is only known once VS Code opens it.
    if (!entry.terminal) {
      const opened = vscode.window.onDidOpenTerminal((terminal) => {
        const options = terminal.creationOptions as vscode.ExtensionTerminalOptions;
        if (options?.pty === entry.pty) {
          entry.terminal = terminal;
          opened.dispose();
          this.updateFocus();
        }
      });
      this.disposables.push(opened);
    }
    return entry;
  }

  private onRename(from: string, to: string): void {
    for (const entry of this.entries) {
      if (entry.server.id === this.servers.activeId && entry.pty.attachment.session === from)
        entry.pty.rename(to);
    }
  }

  private updateFocus(force = false): void {
    const active = vscode.window.activeTerminal;
    const next = vscode.window.state.focused && active ? this.find((e) => e.terminal === active) : undefined;
    if (next === this.focused && !force) return;
    const previous = this.focused;
    this.focused = next;
    if (previous && previous !== next) this.sendPresence(previous, false);
    if (next) this.sendPresence(next, true);
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    if (next) {
      this.heartbeat = setInterval(() => {
        if (this.focused) this.sendPresence(this.focused, true, "heartbeat");
      }, PRESENCE_HEARTBEAT_MS);
    }
  }

  private readonly lastPresence = new Map<string, string>();

  /** `model`: the active pane may have moved; sent only when the message differs from the last one. */
  private sendPresence(entry: Entry, focused: boolean, why: "focus" | "heartbeat" | "model" = "focus"): void {
    const session = entry.pty.attachment.session;
    if (!isSessionName(session)) return;
    if (entry.server.id !== this.servers.activeId) {
      // A terminal of a server that is not the active one: its presence goes to its own server over HTTP (the
      // model, which knows the active pane, is the active server's).
      void this.sendPresenceElsewhere(entry, focused);
      return;
    }
    const pane = this.shownPane(session, entry.pty.attachment.view);
    const message = {
      type: "presence" as const,
      terminalId: entry.terminalId,
      session,
      windowIndex: pane ? pane.windowIndex : -1,
      paneId: pane ? pane.paneId : "",
      visible: focused,
      focused,
    };
    const key = JSON.stringify(message);
    if (why === "model" && this.lastPresence.get(entry.terminalId) === key) return;
    this.lastPresence.set(entry.terminalId, key);
    if (this.refresh.events.send(message)) return;
    const { type: _type, ...body } = message;
    void this.refresh.api?.presence(body).catch((error: Error) => {
      this.log.debug(`presence: ${error.message}`);
    });
  }

  private async sendPresenceElsewhere(entry: Entry, focused: boolean): Promise<void> {
    const endpoint = await this.servers.endpointNow(entry.server);
    if (!endpoint) return;
    const view = entry.pty.attachment.view;
    await new ApiClient(endpoint)
      .presence({
        terminalId: entry.terminalId,
        session: entry.pty.attachment.session,
        windowIndex: view && "window" in view ? view.window : -1,
        paneId: view && "pane" in view ? view.pane : "",
        visible: focused,
        focused,
      })
      .catch((error: Error) => this.log.debug(`presence: ${error.message}`));
  }

  /** The pane a terminal shows: its own, the active pane of its window, or the session's active pane. */
  private shownPane(
    session: string,
    view: AttachView | undefined,
  ): { windowIndex: number; paneId: string } | undefined {
    if (!view) return this.model.activePane(session);
    if ("pane" in view) {
      const pane = this.model.panes(session).find((p) => p.paneId === view.pane);
      return pane && { windowIndex: pane.windowIndex, paneId: pane.paneId };
    }
    const panes = this.model.panes(session, view.window);
    const pane = panes.find((p) => p.active) ?? panes[0];
    return { windowIndex: view.window, paneId: pane?.paneId ?? "" };
  }

  private async pickSessionForProfile(): Promise<string | undefined> {
    const sessions = this.model.sessions().map((s) => s.name);
    if (!sessions.length) {
      try {
        await this.server.start("terminal profile");
        await this.refresh.refresh("terminal profile");
      } catch (error) {
        void vscode.window.showErrorMessage(`Sentinel: ${(error as Error).message}`);
        return undefined;
      }
    }
    const names = this.model.sessions().map((s) => s.name);
    const items: vscode.QuickPickItem[] = names.map((name) => ({
      label: name,
      iconPath: new vscode.ThemeIcon("terminal-tmux"),
    }));
    const NEW = "$(add) New session…";
    items.push({ label: NEW, alwaysShow: true });
    const picked = await vscode.window.showQuickPick(items, { placeHolder: "tmux session to attach to" });
    if (!picked) return undefined;
    if (picked.label !== NEW) return picked.label;
    return vscode.commands.executeCommand<string | undefined>("sentinel.newSession", { attach: false });
  }
}
