// The Servers view's commands (ADR 0019): Use This Server (switch the active server), Connect to Server… (add an
// external server: URL, name, token), Disconnect (remove it and its token), Retry, Set Server Token… and Refresh.
// Tokens go to SecretStorage under the server's origin (serverTokens.ts), never into settings; the list of servers
// is the setting `sentinel.servers` (machine scope), written to the user's settings.
import * as vscode from "vscode";
import {
  COMPANION_ID,
  cleanUrl,
  defaultServerName,
  type ServerEntry,
  withoutServer,
  withServer,
} from "../server/serverList.js";
import { serverOrigin } from "../util/origin.js";
import type { CommandContext } from "./context.js";

/** A command's server argument: a Servers row (`{ id }`), an id or origin, or nothing (the palette asks). */
export type ServerArg = { id: string } | string | undefined;

export interface ConnectArgs {
  url: string;
  name?: string;
  /** The server's token; "" or undefined keeps the one stored for its origin. */
  token?: string;
}

const config = () => vscode.workspace.getConfiguration("sentinel");

async function pickServer(
  ctx: CommandContext,
  placeHolder: string,
  filter: (entry: ServerEntry) => boolean = () => true,
): Promise<ServerEntry | undefined> {
  const rows = ctx.servers.list().filter((r) => filter(r.entry));
  if (!rows.length) {
    void vscode.window.showInformationMessage(
      'Sentinel: no such server. Add one with "Sentinel: Connect to Server…".',
    );
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    rows.map((r) => ({
      label: `${r.active ? "$(check) " : ""}${r.entry.name}`,
      description: r.entry.url ?? "companion",
      id: r.entry.id,
    })),
    { placeHolder },
  );
  return picked ? ctx.servers.entry(picked.id) : undefined;
}

async function entryOf(
  ctx: CommandContext,
  arg: ServerArg,
  placeHolder: string,
  filter?: (entry: ServerEntry) => boolean,
): Promise<ServerEntry | undefined> {
  const id = typeof arg === "string" ? (serverOrigin(arg) ?? arg) : arg?.id;
  if (id) {
    const entry = ctx.servers.entry(id);
    if (!entry) throw new Error(`no known server ${id}`);
    return entry;
  }
  return pickServer(ctx, placeHolder, filter);
}

/** Makes a server the active one: the views follow it; terminals attached elsewhere keep their server. */
export async function useServer(ctx: CommandContext, arg: ServerArg): Promise<void> {
  const entry = await entryOf(ctx, arg, "Sentinel server to use");
  if (!entry) return;
  if (entry.id === ctx.servers.activeId) {
    // Already active: a stopped or failed one is started again.
    if (ctx.server.state.kind === "stopped" || ctx.server.state.kind === "failed")
      void ctx.server.start("use server").catch(() => undefined);
    return;
  }
  await switchTo(ctx, entry);
}

async function switchTo(ctx: CommandContext, entry: ServerEntry): Promise<void> {
  await ctx.servers.use(entry.id);
  ctx.log.info(`servers: switching to ${entry.name} (${entry.url ?? "companion"})`);
  // The switch's outcome (a token to set, unreachable) shows in the views; it is not an error of this command.
  void ctx.server.switchServer(`switched to ${entry.name}`).catch(() => undefined);
}

export async function connectServer(ctx: CommandContext, args?: ConnectArgs): Promise<void> {
  const url =
    args?.url ??
    (await vscode.window.showInputBox({
      title: "Connect to a Sentinel Server (1/3): URL",
      prompt:
        "The server's URL as this host reaches it, e.g. http://10.0.0.5:4040 or https://tmux.example.com",
      placeHolder: "http://host:port",
      ignoreFocusOut: true,
      validateInput: (value) => (serverOrigin(value) ? undefined : "An http:// or https:// URL"),
    }));
  if (url === undefined) return;
  const clean = cleanUrl(url);
  const origin = serverOrigin(clean);
  if (!origin) throw new Error(`"${url}" is not an http(s) URL`);
  const name =
    args?.name ??
    (await vscode.window.showInputBox({
      title: "Connect to a Sentinel Server (2/3): name",
      prompt: "The name the Servers view shows",
      value: defaultServerName(clean),
      ignoreFocusOut: true,
    }));
  if (name === undefined) return;
  const token = args
    ? args.token
    : await vscode.window.showInputBox({
        title: `Connect to a Sentinel Server (3/3): token of ${origin}`,
        prompt:
          "The server's token (SENTINEL_TOKEN). Kept in the OS keychain for this origin only and sent to no other server. Empty: keep the stored one, or none.",
        password: true,
        ignoreFocusOut: true,
      });
  if (token === undefined && !args) return;
  if (token) await ctx.tokens.set(clean, token);
  const inspected = config().inspect("servers");
  await config().update(
    "servers",
    withServer(inspected?.globalValue, name, clean),
    vscode.ConfigurationTarget.Global,
  );
  ctx.servers.reload();
  const entry = ctx.servers.entry(origin);
  if (!entry) throw new Error(`${origin} could not be added to sentinel.servers`);
  await switchTo(ctx, entry);
}

export async function disconnectServer(ctx: CommandContext, arg: ServerArg): Promise<void> {
  const entry = await entryOf(ctx, arg, "Sentinel server to remove", (e) => e.id !== COMPANION_ID);
  if (!entry) return;
  if (!entry.url) throw new Error("the companion server cannot be removed (stop it instead)");
  const ok = await ctx.prompts.confirm(
    `Remove the Sentinel server "${entry.name}"?`,
    `${entry.url} leaves the Servers view and its token is deleted from the keychain. Its tmux sessions keep running there.`,
    "Remove",
  );
  if (!ok) return;
  if (entry.id === ctx.servers.activeId) {
    const companion = ctx.servers.entry(COMPANION_ID);
    if (companion) await switchTo(ctx, companion);
  }
  if (entry.source === "server.url") {
    const inspected = config().inspect<string>("server.url");
    if (inspected?.workspaceValue !== undefined)
      await config().update("server.url", undefined, vscode.ConfigurationTarget.Workspace);
    await config().update("server.url", undefined, vscode.ConfigurationTarget.Global);
  }
  const servers = config().inspect("servers")?.globalValue;
  if (Array.isArray(servers))
    await config().update("servers", withoutServer(servers, entry.id), vscode.ConfigurationTarget.Global);
  await ctx.tokens.set(entry.url, undefined);
  ctx.servers.reload();
}

/** Tries a server again: the active one reconnects (or restarts), another one is probed now. */
export async function retryServer(ctx: CommandContext, arg: ServerArg): Promise<void> {
  const entry = await entryOf(ctx, arg, "Sentinel server to try again");
  if (!entry) return;
  if (entry.id === ctx.servers.activeId) {
    await ctx.server.restart("retry");
    return;
  }
  await ctx.servers.probeNow(entry.id);
}

/**
 * Sets (or, with "", removes) the token of an external server: a Servers row's, else the active server's when it
 * is external, else one picked. `sentinel.setServerToken <token>` (a string first argument) sets the active
 * server's, as earlier versions did.
 */
export async function setServerToken(ctx: CommandContext, arg: unknown, tokenArg?: unknown): Promise<void> {
  let entry: ServerEntry | undefined;
  let token: string | undefined;
  if (typeof arg === "string") {
    token = arg;
    entry = ctx.servers.active;
  } else {
    if (typeof tokenArg === "string") token = tokenArg;
    const node = arg as { id?: unknown } | undefined;
    if (node && typeof node.id === "string") entry = await entryOf(ctx, { id: node.id }, "");
    else if (ctx.servers.active.url) entry = ctx.servers.active;
    else entry = await pickServer(ctx, "Sentinel server whose token to set", (e) => e.id !== COMPANION_ID);
    if (!entry) return;
  }
  const url = entry.url;
  if (!url)
    throw new Error(
      'the companion server\'s token is made and kept by the extension; connect to an external server with "Sentinel: Connect to Server…" to set its token',
    );
  const origin = serverOrigin(url) ?? url;
  const value =
    token ??
    (await vscode.window.showInputBox({
      title: `Sentinel Server Token for ${origin}`,
      prompt: `The token of the Sentinel server "${entry.name}" at ${origin}. Kept in the OS keychain and sent only to that server.`,
      password: true,
      ignoreFocusOut: true,
    }));
  if (value === undefined) return;
  await ctx.tokens.set(url, value);
  if (entry.id === ctx.servers.activeId) await ctx.server.restart("the token changed");
  else await ctx.servers.probeNow(entry.id);
}

export async function refreshServers(ctx: CommandContext): Promise<void> {
  await Promise.all(
    ctx.servers
      .list()
      .filter((r) => !r.active)
      .map((r) => ctx.servers.probeNow(r.entry.id)),
  );
}
