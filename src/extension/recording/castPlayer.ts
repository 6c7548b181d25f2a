// The cast player: a webview panel per recording that plays the cast with the asciinema player bundled under
// media/vendor (copied from the npm package by scripts/build.mjs; no CDN), under a strict Content-Security-Policy
// (scripts only with this panel's nonce, WASM allowed for the player's terminal, nothing from the network). The
// cast comes in with postMessage (a webview cannot reach the server); search runs here, over the cast's output,
// and the webview seeks to the hits. The webview posts `ready` when its script runs and `loaded` once the player
// has the cast; the test API reports both.
import { randomBytes } from "node:crypto";
import * as vscode from "vscode";
import { type CastHit, type CastMarker, CastTextIndex, parseCast, summarizeCast } from "./castText.js";

/** The largest cast handed to a webview; bigger ones are opened as files instead. */
export const MAX_PLAYER_CAST_BYTES = 64 * 1024 * 1024;

export interface PlayerInfo {
  recordingId: string;
  title: string;
  /** The webview's script has run (its `ready` message arrived). */
  ready: boolean;
  /** The player has the cast (`loaded`), with the duration it reported. */
  loaded: boolean;
  duration: number | undefined;
  markers: number;
  error: string | undefined;
  /** Types of the messages the webview has posted, in order. */
  messages: string[];
  /** Where the webview last moved the player to (a chapter, a search hit), in seconds. */
  lastSeek: number | undefined;
}

type FromWebview =
  | { type: "ready" }
  | { type: "loaded"; duration?: number }
  | { type: "error"; message: string }
  | { type: "search"; query: string }
  | { type: "seeked"; time: number }
  | { type: "log"; message: string };

interface Player {
  panel: vscode.WebviewPanel;
  info: PlayerInfo;
  cast: string;
  markers: CastMarker[];
  index: CastTextIndex | undefined;
}

export class CastPlayers implements vscode.Disposable {
  private readonly players = new Map<string, Player>();
  private readonly changeEmitter = new vscode.EventEmitter<PlayerInfo>();
  readonly onDidChange = this.changeEmitter.event;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    private readonly speed: () => number,
  ) {}

  list(): PlayerInfo[] {
    return [...this.players.values()].map((p) => ({ ...p.info, messages: [...p.info.messages] }));
  }

  /** Opens (or reveals and reloads) the player for a recording with this cast text. */
  open(recordingId: string, title: string, cast: string): PlayerInfo {
    const summary = summarizeCast(cast); // throws on a file that is not a cast
    const existing = this.players.get(recordingId);
    if (existing) {
      existing.cast = cast;
      existing.markers = summary.markers;
      existing.index = undefined;
      existing.info.loaded = false;
      existing.info.markers = summary.markers.length;
      existing.panel.reveal();
      if (existing.info.ready) this.load(existing);
      return existing.info;
    }
    const media = vscode.Uri.joinPath(this.extensionUri, "media");
    const panel = vscode.window.createWebviewPanel(
      "sentinel.castPlayer",
      `▶ ${title}`,
      vscode.ViewColumn.Active,
      { enableScripts: true, localResourceRoots: [media], retainContextWhenHidden: false },
    );
    panel.iconPath = vscode.Uri.joinPath(media, "sentinel.svg");
    const player: Player = {
      panel,
      cast,
      markers: summary.markers,
      index: undefined,
      info: {
        recordingId,
        title,
        ready: false,
        loaded: false,
        duration: undefined,
        markers: summary.markers.length,
        error: undefined,
        messages: [],
        lastSeek: undefined,
      },
    };
    this.players.set(recordingId, player);
    const subscriptions = [
      panel.webview.onDidReceiveMessage((message: FromWebview) => this.onMessage(player, message)),
      panel.onDidDispose(() => {
        this.players.delete(recordingId);
        for (const s of subscriptions) s.dispose();
      }),
    ];
    panel.webview.html = this.html(panel.webview, title);
    return player.info;
  }

  /**
   * Searches a player's cast as its search box does: the hits go to the webview, which lists them and seeks to
   * the first (then reports `seeked`). Returns the hits; undefined when no such player is open.
   */
  search(recordingId: string, query: string): CastHit[] | undefined {
    const player = this.players.get(recordingId);
    return player ? this.runSearch(player, query) : undefined;
  }

  dispose(): void {
    for (const p of [...this.players.values()]) p.panel.dispose();
    this.players.clear();
    this.changeEmitter.dispose();
  }

  private load(player: Player): void {
    void player.panel.webview.postMessage({
      type: "load",
      cast: player.cast,
      title: player.info.title,
      markers: player.markers,
      speed: this.speed(),
    });
  }

  private onMessage(player: Player, message: FromWebview): void {
    if (!message || typeof message.type !== "string") return;
    // What the webview posted, for the test API: test builds only.
    if (__SENTINEL_TEST__) {
      player.info.messages.push(message.type);
      if (player.info.messages.length > 100)
        player.info.messages.splice(0, player.info.messages.length - 100);
    }
    switch (message.type) {
      case "ready":
        player.info.ready = true;
        player.info.loaded = false;
        this.load(player);
        break;
      case "loaded":
        player.info.loaded = true;
        player.info.error = undefined;
        player.info.duration = typeof message.duration === "number" ? message.duration : undefined;
        break;
      case "error":
        player.info.error = String(message.message);
        this.log.warn(`player ${player.info.recordingId}: ${player.info.error}`);
        break;
      case "search":
        this.runSearch(player, String(message.query ?? ""));
        break;
      case "seeked":
        player.info.lastSeek = typeof message.time === "number" ? message.time : undefined;
        break;
      case "log":
        this.log.debug(`player ${player.info.recordingId}: ${String(message.message)}`);
        break;
    }
    this.changeEmitter.fire({ ...player.info });
  }

  private runSearch(player: Player, query: string): CastHit[] {
    player.index ??= new CastTextIndex(parseCast(player.cast).events);
    const hits = player.index.search(query, 200);
    void player.panel.webview.postMessage({ type: "searchResults", query, hits });
    return hits;
  }

  private html(webview: vscode.Webview, title: string): string {
    const nonce = randomBytes(16).toString("base64");
    const uri = (...path: string[]) =>
      webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, "media", ...path)).toString();
    const csp = [
      "default-src 'none'",
      `script-src 'nonce-${nonce}' 'wasm-unsafe-eval'`,
      `style-src ${webview.cspSource}`,
      `img-src ${webview.cspSource} data:`,
      `font-src ${webview.cspSource} data:`,
    ].join("; ");
    const escaped = title.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${uri("vendor", "asciinema-player", "asciinema-player.css")}">
<link rel="stylesheet" href="${uri("player", "player.css")}">
<title>${escaped}</title>
</head>
<body>
<div class="toolbar" role="toolbar" aria-label="Player controls">
  <button id="play" type="button" title="Play or pause (Space)">Play</button>
  <label>Speed <select id="speed" title="Playback speed">
    <option value="0.5">0.5×</option><option value="1">1×</option><option value="1.5">1.5×</option>
    <option value="2">2×</option><option value="4">4×</option><option value="8">8×</option>
  </select></label>
  <label>Chapter <select id="chapters" title="Markers of the cast"><option value="">(none)</option></select></label>
  <span id="time" class="time" aria-live="off">0:00</span>
  <form id="search-form" class="search" role="search">
    <input id="search" type="search" placeholder="Find text in the recording" aria-label="Find text in the recording">
    <button type="submit">Find</button>
  </form>
</div>
<div class="main">
  <div id="player" class="player"></div>
  <aside id="results" class="results" hidden>
    <div id="results-title" class="results-title"></div>
    <ol id="hits"></ol>
  </aside>
</div>
<div id="status" class="status" role="status"></div>
<script nonce="${nonce}" src="${uri("vendor", "asciinema-player", "asciinema-player.min.js")}"></script>
<script nonce="${nonce}" src="${uri("player", "player.js")}"></script>
</body>
</html>`;
  }
}
