// The extension under test: its test API (src/extension/testApi.ts) and a few UI steps the scenarios share.
import * as vscode from "vscode";
import type { SentinelTestApi } from "../../../src/extension/testApi.js";
import { EXTENSION_ID } from "./env.js";

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
