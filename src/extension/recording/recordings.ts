// Recordings in the extension: the model kept current from `recording.updated` events (reloaded over HTTP by the
// refresh owner after a gap or a reconnect, and on its clock every 5 s while a recording runs and the view is
// visible: the server publishes a recording's start and end, not its growing size), the Recordings view,
// the recording state on Sessions rows and in the status bar, and the commands: record / stop a session, add a
// marker, play a cast in the player, open the cast as a file, save it elsewhere, delete.
import { mkdir, writeFile } from "node:fs/promises";
import * as vscode from "vscode";
import { EventType } from "../../protocol/events.js";
import type { RecordingInfo } from "../../protocol/recording.js";
import type { ApiClient } from "../client/apiClient.js";
import type { AreaRefreshReason, Tick } from "../client/refreshManager.js";
import { CommandId } from "../commands/commandIds.js";
import { executeCommand } from "../commands/registry.js";
import type { AreaHost } from "../host.js";
import { ContextKey } from "../views/contextKeys.js";
import type { NodeView } from "../views/treeNodes.js";
import { CastPlayers, MAX_PLAYER_CAST_BYTES } from "./castPlayer.js";
import { formatDuration } from "./castText.js";
import {
  addMarker,
  deleteRecording,
  fetchCast,
  listRecordings,
  startRecording,
  stopRecording,
} from "./recordingsApi.js";
import { RecordingsModel } from "./recordingsModel.js";
import { RECORDINGS_VIEW_ID, RecordingsTreeProvider } from "./recordingsView.js";

/** A command argument: a recording row, a Sessions row, a recording id or a session name. */
type RecordingArg = RecordingInfo | { kind?: string; session?: string } | string | undefined;

const LIVE_POLL_MS = 5000;

export class Recordings implements vscode.Disposable {
  readonly model = new RecordingsModel();
  readonly tree: RecordingsTreeProvider;
  readonly view: vscode.TreeView<RecordingInfo>;
  readonly players: CastPlayers;
  private readonly statusItem: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[] = [];
  /** The refresh owner's clock: a reload every 5 s while a recording runs and the view is visible. */
  private readonly liveTick: Tick;

  constructor(private readonly host: AreaHost) {
    this.tree = new RecordingsTreeProvider(this.model);
    this.view = vscode.window.createTreeView(RECORDINGS_VIEW_ID, { treeDataProvider: this.tree });
    this.players = new CastPlayers(host.context.extensionUri, host.log, () =>
      vscode.workspace.getConfiguration("sentinel").get<number>("player.speed", 1),
    );
    this.statusItem = vscode.window.createStatusBarItem(
      "sentinel.recording",
      vscode.StatusBarAlignment.Left,
      49,
    );
    this.statusItem.name = "Sentinel Recording";
    this.statusItem.command = CommandId.StopRecording;

    const previous = host.sessionsTree.decorate;
    host.sessionsTree.decorate = (view) => this.decorate(previous ? previous(view) : view);

    const sub = (d: { dispose(): void }) => this.disposables.push({ dispose: () => d.dispose() });
    // Loads go through the refresh owner, which also reloads the list when events may have been missed.
    sub(host.refresh.register("recordings", { debounceMs: 0, load: (reason) => this.load(reason) }));
    this.liveTick = host.refresh.tick("recordings", LIVE_POLL_MS, () => void this.reload("live recording"));
    sub(this.liveTick);
    sub(
      this.model.onDidChange((change) => {
        this.tree.trigger();
        for (const session of change.sessions)
          host.sessionsTree.trigger(host.sessionsTree.node({ kind: "session", session }));
        this.updateStatus();
        this.updatePolling();
      }),
    );
    sub(host.refresh.onEvent(EventType.RecordingUpdated, (payload) => this.model.apply(payload)));
    sub(
      host.server.onDidChangeState((state) => {
        if (state.kind === "stopped" || state.kind === "failed") this.model.clear();
      }),
    );
    this.disposables.push(
      this.view,
      this.tree,
      this.players,
      this.statusItem,
      this.view.onDidChangeVisibility(() => {
        this.updatePolling();
        if (this.view.visible && !this.model.loaded) void this.reload("view shown");
      }),
    );
    this.registerCommands();
  }

  /** Reloads the list now (concurrent calls share one run plus one rerun: the refresh owner's per-area SingleFlight). */
  reload(reason: AreaRefreshReason): Promise<void> {
    return this.host.refresh.now("recordings", reason);
  }

  private async load(reason: AreaRefreshReason): Promise<void> {
    const api = this.host.refresh.api;
    if (!api) return;
    try {
      const list = await listRecordings(api);
      if (api === this.host.refresh.api) this.model.replace(list);
    } catch (error) {
      this.host.log.warn(`recordings: loading the list (${reason}) failed: ${(error as Error).message}`);
    }
  }

  dispose(): void {
    for (const d of this.disposables.splice(0).reverse()) d.dispose();
    this.model.dispose();
  }

  /** A Sessions row of a session being recorded: a red record icon and "REC" first in its description. */
  private decorate(view: NodeView): NodeView {
    if (!view.id.startsWith("session:")) return view;
    const session = view.id.slice("session:".length);
    const active = this.model.activeFor(session);
    if (!active) return view;
    return {
      ...view,
      description: view.description ? `REC · ${view.description}` : "REC",
      tooltip: `${view.tooltip}\n\nRecording since ${new Date(active.startedAt).toLocaleTimeString()}`,
      contextValue: `${view.contextValue}.recording`,
      icon: "record",
      iconColor: "errorForeground",
    };
  }

  private updateStatus(): void {
    const active = this.model.active();
    this.host.contextKeys.set(ContextKey.RecordingActive, active.length > 0);
    if (!active.length) {
      this.statusItem.hide();
      return;
    }
    this.statusItem.text =
      active.length === 1 ? `$(record) REC ${active[0]!.session}` : `$(record) REC ${active.length}`;
    this.statusItem.tooltip = `Sentinel is recording ${active.map((r) => r.session).join(", ")}. Click to stop.`;
    this.statusItem.accessibilityInformation = {
      label: `Sentinel recording ${active.length} session${active.length === 1 ? "" : "s"}`,
    };
    this.statusItem.show();
  }

  /** While a recording runs and the view is visible, the owner's clock re-reads the list (duration and size move). */
  private updatePolling(): void {
    this.liveTick.active = this.view.visible && this.model.active().length > 0;
  }

  private api(): Promise<ApiClient> {
    return this.host.api.get("recording command");
  }

  private async pickSession(): Promise<string | undefined> {
    await this.host.server.start("recording command");
    if (!this.host.sessions.loaded) await this.host.refresh.refresh("session picker");
    const sessions = this.host.sessions.sessions();
    if (!sessions.length) {
      void vscode.window.showInformationMessage("Sentinel: there are no tmux sessions to record.");
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      sessions.map((s) => ({
        label: s.name,
        description: this.model.activeFor(s.name) ? "already recording" : "",
      })),
      { placeHolder: "tmux session to record" },
    );
    return picked?.label;
  }

  /** The recording an argument means; `active` limits the choice (and the picker) to running recordings. */
  private async resolve(arg: RecordingArg, active: boolean): Promise<RecordingInfo | undefined> {
    if (arg && typeof arg === "object" && "id" in arg && typeof arg.id === "string")
      return this.model.get(arg.id) ?? (arg as RecordingInfo);
    if (typeof arg === "string") {
      const byId = this.model.get(arg);
      if (byId) return byId;
      return active ? this.model.activeFor(arg) : this.model.list().find((r) => r.session === arg);
    }
    if (arg && typeof arg === "object" && typeof arg.session === "string") {
      const session = arg.session;
      return active ? this.model.activeFor(session) : this.model.list().find((r) => r.session === session);
    }
    if (!this.model.loaded) await this.reload("picker");
    const choices = active ? this.model.active() : this.model.list();
    if (!choices.length) {
      void vscode.window.showInformationMessage(
        active ? "Sentinel: nothing is being recorded." : "Sentinel: there are no recordings.",
      );
      return undefined;
    }
    if (active && choices.length === 1) return choices[0];
    const picked = await vscode.window.showQuickPick(
      choices.map((r) => ({
        label: r.title || r.session,
        description: `${r.status} · ${formatDuration(r.durationMs / 1000)} · ${new Date(r.startedAt).toLocaleString()}`,
        recording: r,
      })),
      { placeHolder: active ? "Recording to stop" : "Recording" },
    );
    return picked?.recording;
  }

  private async cast(recording: RecordingInfo): Promise<string> {
    return fetchCast(await this.api(), recording.id);
  }

  private fileName(r: RecordingInfo): string {
    const safe = (r.title || r.session).replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 60) || "recording";
    return `${safe}-${r.startedAt.replace(/[:]/g, "").replace(/Z$/, "")}.cast`;
  }

  private registerCommands(): void {
    this.host.commands.registerAll({
      [CommandId.RecordSession]: async (arg?: RecordingArg) => {
        const session =
          typeof arg === "string"
            ? arg
            : arg && typeof arg === "object" && typeof arg.session === "string"
              ? arg.session
              : await this.pickSession();
        if (!session) return undefined;
        const existing = this.model.activeFor(session);
        if (existing) {
          void vscode.window.showInformationMessage(`Sentinel: ${session} is already being recorded.`);
          return existing;
        }
        const captureInput = vscode.workspace
          .getConfiguration("sentinel")
          .get<boolean>("recording.captureInput", false);
        const recording = await startRecording(
          await this.api(),
          session,
          captureInput ? { captureInput } : {},
        );
        this.model.upsert(recording);
        this.host.log.info(`recording ${recording.id} of ${session} started`);
        return recording;
      },
      [CommandId.StopRecording]: async (arg?: RecordingArg) => {
        const recording = await this.resolve(arg, true);
        if (!recording) return undefined;
        if (recording.status !== "recording") return recording;
        const stopped = await stopRecording(await this.api(), recording.id);
        this.model.upsert(stopped);
        this.host.log.info(`recording ${stopped.id} of ${stopped.session} stopped`);
        // The command returns now; the toast's Play works for as long as the toast is there.
        void this.host.prompts
          .inform(
            `Sentinel: recording of ${stopped.session} saved (${formatDuration(stopped.durationMs / 1000)}).`,
            "Play",
          )
          .then((choice) => {
            if (choice === "Play") return executeCommand(CommandId.PlayRecording, stopped);
            return undefined;
          });
        return stopped;
      },
      [CommandId.AddRecordingMarker]: async (arg?: RecordingArg, label?: unknown) => {
        const recording = await this.resolve(arg, true);
        if (!recording) return undefined;
        // From the Sessions tree (multiple selection allowed) the second argument is the selected rows.
        const text =
          (typeof label === "string" ? label : undefined) ??
          (await vscode.window.showInputBox({
            title: `Marker in the recording of ${recording.session}`,
            prompt: "A chapter name for this moment",
            validateInput: (v) => (v.trim() ? undefined : "A marker needs a label"),
          }));
        if (!text?.trim()) return undefined;
        return addMarker(await this.api(), recording.id, text.trim());
      },
      [CommandId.PlayRecording]: async (arg?: RecordingArg) => {
        const recording = await this.resolve(arg, false);
        if (!recording) return undefined;
        const cast = await this.cast(recording);
        if (cast.length > MAX_PLAYER_CAST_BYTES) {
          const open = await vscode.window.showWarningMessage(
            `Sentinel: this cast is too large for the player (${Math.round(cast.length / 1048576)} MiB).`,
            "Open as File",
          );
          if (open) await executeCommand(CommandId.OpenCast, recording);
          return undefined;
        }
        return this.players.open(
          recording.id,
          `${recording.title || recording.session} ${new Date(recording.startedAt).toLocaleTimeString()}`,
          cast,
        );
      },
      [CommandId.OpenCast]: async (arg?: RecordingArg) => {
        const recording = await this.resolve(arg, false);
        if (!recording) return undefined;
        const cast = await this.cast(recording);
        const dir = vscode.Uri.joinPath(this.host.context.globalStorageUri, "casts");
        await mkdir(dir.fsPath, { recursive: true });
        const file = vscode.Uri.joinPath(dir, this.fileName(recording));
        await writeFile(file.fsPath, cast, { mode: 0o600 });
        const document = await vscode.workspace.openTextDocument(file);
        await vscode.window.showTextDocument(document, { preview: true });
        return file;
      },
      [CommandId.SaveCast]: async (arg?: RecordingArg, target?: vscode.Uri) => {
        const recording = await this.resolve(arg, false);
        if (!recording) return undefined;
        const defaultUri = vscode.Uri.joinPath(
          vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(process.env.HOME ?? "/"),
          this.fileName(recording),
        );
        const uri =
          target ??
          (await vscode.window.showSaveDialog({
            defaultUri,
            filters: { "asciicast v2": ["cast"] },
            title: "Save the recording as",
          }));
        if (!uri) return undefined;
        const cast = await this.cast(recording);
        await vscode.workspace.fs.writeFile(uri, Buffer.from(cast, "utf8"));
        if (!target) void vscode.window.showInformationMessage(`Sentinel: saved ${uri.fsPath}`);
        return uri;
      },
      [CommandId.DeleteRecording]: async (arg?: RecordingArg) => {
        const recording = await this.resolve(arg, false);
        if (!recording) return false;
        const ok = await vscode.window.showWarningMessage(
          `Delete the recording of ${recording.session} from ${new Date(recording.startedAt).toLocaleString()}?`,
          { modal: true },
          "Delete",
        );
        if (ok !== "Delete") return false;
        await deleteRecording(await this.api(), recording.id);
        this.model.remove(recording.id);
        return true;
      },
      [CommandId.RefreshRecordings]: () => this.reload("manual"),
    });
  }
}
