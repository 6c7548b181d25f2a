// The Recovery area: the Recovery view (sessions the server tracks by state, restore jobs) and its commands:
// Refresh Recovery and Restore Session. Built and disposed by the Container (moved out of features.ts).
import type * as vscode from "vscode";
import { type EventEnvelope, EventType, type PayloadOf } from "../../protocol/events.js";
import { CommandId } from "../commands/commandIds.js";
import type { AreaHost } from "../host.js";
import { ContextKey } from "../views/contextKeys.js";
import { loadRecovery, ProbedView, type Row } from "./opsViews.js";
import { type RestoreOptions, restoreSession } from "./restore.js";

/** `recovery.*` events, and the live-set of sessions (a session killed or back) change the Recovery lists. */
function recoveryReloadEvent(event: EventEnvelope): boolean {
  if (event.type === EventType.RecoveryOverviewUpdated || event.type === EventType.RecoveryJobUpdated)
    return true;
  if (event.type !== EventType.SessionsUpdated) return false;
  const payload = event.payload as PayloadOf<typeof EventType.SessionsUpdated> | undefined;
  return !!payload && "action" in payload && payload.action === "live-set";
}

export class RecoveryArea implements vscode.Disposable {
  readonly view: ProbedView;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(host: AreaHost) {
    this.view = new ProbedView(
      "sentinel.recovery",
      "recovery",
      host.contextKeys,
      ContextKey.RecoveryState,
      recoveryReloadEvent,
      host.refresh,
      loadRecovery,
    );
    this.disposables.push(
      this.view,
      host.server.onDidChangeState((state) => {
        if (state.kind === "stopped" || state.kind === "failed") this.view.reset();
      }),
    );
    host.commands.registerAll({
      [CommandId.RefreshRecovery]: () => this.view.reload(),
      [CommandId.RestoreSession]: async (arg?: Row | string, options?: RestoreOptions) => {
        const api = await host.api.get("restore command");
        const job = await restoreSession(api, host.refresh, host.sessions, arg, options);
        void this.view.reload("command");
        return job;
      },
    });
  }

  dispose(): void {
    for (const d of this.disposables.splice(0).reverse()) d.dispose();
  }
}
