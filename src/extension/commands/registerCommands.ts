// The Sessions and Servers views' commands (tmux sessions, windows and panes, the server, the servers and tokens), registered through the
// one CommandRegistry (src/extension/commands/registry.ts): failures become one error notification and a log line.
import * as vscode from "vscode";
import { RowClicks } from "../views/rowClicks.js";
import type { SessionNode } from "../views/sessionsView.js";
import type { CommandContext, TargetArg } from "./context.js";
import type { CommandRegistry } from "./registry.js";
import * as servers from "./serverCommands.js";
import * as tmux from "./tmuxCommands.js";

/**
 * The Sessions tree allows a multiple selection: VS Code then calls a row's command with the clicked row and every
 * selected row. A kill with more than one selected row kills them all after one question.
 */
function manySelected(selected: unknown): selected is TargetArg[] {
  return Array.isArray(selected) && selected.length > 1;
}

export function registerCommands(ctx: CommandContext, registry: CommandRegistry): void {
  const rowClicks = new RowClicks();
  registry.registerAll({
    "sentinel.refresh": () => ctx.refresh.refresh("manual"),
    "sentinel.attach": (arg?: TargetArg) => tmux.attach(ctx, arg),
    "sentinel.attachSelected": () => tmux.attachSelected(ctx),
    "sentinel.rowClicked": (node?: SessionNode) =>
      node && rowClicks.click(node.id) ? tmux.attach(ctx, node) : undefined,
    "sentinel.newSession": (args?: tmux.NewSessionArgs | SessionNode) =>
      tmux.newSession(ctx, args && !("kind" in args) ? args : {}),
    "sentinel.renameSession": (arg?: TargetArg, newName?: unknown) =>
      tmux.renameSession(ctx, arg, typeof newName === "string" ? newName : undefined),
    "sentinel.killSession": (arg?: TargetArg, selected?: unknown) =>
      manySelected(selected) ? tmux.killSelected(ctx, selected) : tmux.killSession(ctx, arg),
    "sentinel.newWindow": (arg?: TargetArg) => tmux.newWindow(ctx, arg),
    "sentinel.selectWindow": (arg?: TargetArg) => tmux.selectWindow(ctx, arg),
    "sentinel.renameWindow": (arg?: TargetArg, newName?: unknown) =>
      tmux.renameWindow(ctx, arg, typeof newName === "string" ? newName : undefined),
    "sentinel.killWindow": (arg?: TargetArg, selected?: unknown) =>
      manySelected(selected) ? tmux.killSelected(ctx, selected) : tmux.killWindow(ctx, arg),
    "sentinel.selectPane": (arg?: TargetArg) => tmux.selectPane(ctx, arg),
    "sentinel.splitPaneRight": (arg?: TargetArg) => tmux.splitPane(ctx, arg, "vertical"),
    "sentinel.splitPaneDown": (arg?: TargetArg) => tmux.splitPane(ctx, arg, "horizontal"),
    "sentinel.killPane": (arg?: TargetArg, selected?: unknown) =>
      manySelected(selected) ? tmux.killSelected(ctx, selected) : tmux.killPane(ctx, arg),
    "sentinel.markSeen": (arg?: TargetArg) => tmux.markSeen(ctx, arg),
    "sentinel.startServer": async () => {
      await ctx.server.start("start command");
    },
    "sentinel.stopServer": () => ctx.server.stop("stopped by the user"),
    "sentinel.restartServer": async () => {
      await ctx.server.restart("restart command");
    },
    "sentinel.showLog": () => ctx.log.show(),
    "sentinel.openSettings": () =>
      vscode.commands.executeCommand("workbench.action.openSettings", "@ext:sentinel.sentinel-vscode"),
    "sentinel.setServerToken": (arg?: unknown, token?: unknown) => servers.setServerToken(ctx, arg, token),
    "sentinel.useServer": (arg?: servers.ServerArg) => servers.useServer(ctx, arg),
    "sentinel.connectServer": (args?: servers.ConnectArgs) => servers.connectServer(ctx, args),
    "sentinel.disconnectServer": (arg?: servers.ServerArg) => servers.disconnectServer(ctx, arg),
    "sentinel.retryServer": (arg?: servers.ServerArg) => servers.retryServer(ctx, arg),
    "sentinel.refreshServers": () => servers.refreshServers(ctx),
  });
}
