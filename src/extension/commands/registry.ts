// The one command registry (after GitLens' command wrapper): every command the manifest contributes has a typed id
// here, is registered through `CommandRegistry.register`, and fails the same way: one log line and one error
// notification with Show Log. `executeCommand` runs one of ours by its typed id. Disposed by the Container.
import * as vscode from "vscode";
import type { CommandId } from "./commandIds.js";

/** Runs one of our commands (a notification's action, a follow-up step). */
export function executeCommand<T = unknown>(id: CommandId, ...args: unknown[]): Thenable<T> {
  return vscode.commands.executeCommand<T>(id, ...args);
}

export class CommandRegistry implements vscode.Disposable {
  private readonly registrations: vscode.Disposable[] = [];

  constructor(private readonly log: vscode.LogOutputChannel) {}

  /** Registers `handler` under `id`; a failure is logged and shown, and the command then returns undefined. */
  register<A extends unknown[]>(id: CommandId, handler: (...args: A) => unknown): void {
    this.registrations.push(
      vscode.commands.registerCommand(id, async (...args: A) => {
        try {
          return await handler(...args);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          this.log.error(`${id}: ${message}`);
          void vscode.window.showErrorMessage(`Sentinel: ${message}`, "Show Log").then((choice) => {
            if (choice) this.log.show(true);
          });
          return undefined;
        }
      }),
    );
  }

  /** Several at once: `{ [id]: handler }`. */
  registerAll(commands: Partial<Record<CommandId, (...args: never[]) => unknown>>): void {
    for (const [id, handler] of Object.entries(commands))
      this.register(id as CommandId, handler as (...args: unknown[]) => unknown);
  }

  dispose(): void {
    for (const d of this.registrations.splice(0).reverse()) d.dispose();
  }
}
