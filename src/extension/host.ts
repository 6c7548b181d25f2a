// What every area of the extension (Sessions commands, Recordings, Events, Ops, Recovery) gets from the Container:
// the shared services, each with one owner. Types only.
import type * as vscode from "vscode";
import type { ApiAccess } from "./client/apiAccess.js";
import type { RefreshManager } from "./client/refreshManager.js";
import type { SessionsModel } from "./client/sessionsModel.js";
import type { Prompts } from "./commands/prompts.js";
import type { CommandRegistry } from "./commands/registry.js";
import type { ServerManager } from "./server/serverManager.js";
import type { ContextKeys } from "./views/contextKeys.js";
import type { SessionsTreeProvider } from "./views/sessionsView.js";

export interface AreaHost {
  context: vscode.ExtensionContext;
  log: vscode.LogOutputChannel;
  server: ServerManager;
  /** The events owner and refresh owner: typed events, the missed-events signal, the sessions' reloads. */
  refresh: RefreshManager;
  /** The one way to the HTTP API (starts the server when needed). */
  api: ApiAccess;
  sessions: SessionsModel;
  sessionsTree: SessionsTreeProvider;
  /** Modal confirmations and notifications with actions (answered by the test host's hook in its runs). */
  prompts: Prompts;
  commands: CommandRegistry;
  contextKeys: ContextKeys;
}
