// The extension under test: its test API (src/extension/testApi.ts) and a few UI steps the scenarios share.
import * as vscode from "vscode";
import type { SentinelTestApi } from "../../../src/extension/testApi.js";
import type { RenderedItem } from "../../../src/extension/views/sessionsView.js";
import { EXTENSION_ID, tmux, waitFor } from "./env.js";

export type { SentinelTestApi } from "../../../src/extension/testApi.js";
export type { RenderedItem } from "../../../src/extension/views/sessionsView.js";

/** Activates the extension (a no-op once active) and returns its test API. */
export async function sentinel(): Promise<SentinelTestApi> {
  const ext = vscode.extensions.getExtension<SentinelTestApi>(EXTENSION_ID);
  if (!ext) throw new Error(`${EXTENSION_ID} is not installed in the test host`);
  return ext.activate();
}

/** Shows the Sentinel container, which makes VS Code render the Sessions tree. */
export async function showSessionsView(): Promise<void> {
  await vscode.commands.executeCommand("workbench.view.extension.sentinel");
}

/** The server state the scenarios start from: running, and the Sessions view shown. */
export async function runningSentinel(timeoutMs = 30_000): Promise<SentinelTestApi> {
  const api = await sentinel();
  await showSessionsView();
  await api.waitForState("running", timeoutMs);
  return api;
}

/** The rendered row with this id (`session:NAME`, `window:NAME:INDEX`, `pane:NAME:%ID`), searched depth-first. */
export function findItem(items: RenderedItem[] | undefined, id: string): RenderedItem | undefined {
  for (const item of items ?? []) {
    if (item.id === id) return item;
    const found = findItem(item.children, id);
    if (found) return found;
  }
  return undefined;
}

/** Whether a row carries the unread mark (its context value ends in `.unread`, which drives the menus). */
export function isUnread(item: RenderedItem | undefined): boolean {
  return !!item && /\.unread$/.test(item.contextValue);
}

/** Pane ids (`%N`) of a tmux target, in tmux's order. */
export async function paneIds(target: string): Promise<string[]> {
  return (await tmux("list-panes", "-t", target, "-F", "#{pane_id}")).trim().split("\n");
}

/** A fixture session made with the tmux CLI for one suite (its shell is the fixture's /bin/sh, clean HOME). */
export async function newTmuxSession(name: string, ...extra: string[]): Promise<void> {
  await tmux("new-session", "-d", "-s", name, "-x", "120", "-y", "30", ...extra);
}

/** Kills a session if it is still there (after hooks). */
export async function killTmuxSession(name: string): Promise<void> {
  await tmux("kill-session", "-t", `=${name}`).catch(() => undefined);
}

export async function tmuxHasSession(name: string): Promise<boolean> {
  return tmux("has-session", "-t", `=${name}`).then(
    () => true,
    () => false,
  );
}

/** Waits for the rendered row `id` to satisfy `check` (default: to exist) and returns it. */
export async function waitForItem(
  api: SentinelTestApi,
  id: string,
  what: string,
  check: (item: RenderedItem) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<RenderedItem> {
  return waitFor(
    async () => {
      const item = findItem(await api.treeSnapshot(), id);
      return item && check(item) ? item : undefined;
    },
    what,
    timeoutMs,
  );
}
