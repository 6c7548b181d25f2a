// Notifications that respect the user: events marked `notify` (an alert raised, a guardrail block, a failed
// runbook or restore, a recording stopped by a limit or failing) go through the NotificationGate (each once,
// at most 3 per 10 s, the rest summed up in one "N more" message), each with the actions that fit. The level
// comes from `sentinel.notifications` (all | errors | off).
import * as vscode from "vscode";
import { CommandId } from "../commands/commandIds.js";
import { executeCommand } from "../commands/registry.js";
import type { EventEntry } from "./eventsLog.js";
import { NotificationGate } from "./notificationGate.js";

/** Guardrail rules whose block a command of this window has just shown (by rule id → when). */
const commandBlocks = new Map<string, number>();
const COMMAND_BLOCK_MS = 5000;
/** How long a guardrail event waits for the command that caused it to report its own block. */
const GUARDRAIL_DELAY_MS = 800;

/**
 * A command of this window showed a guardrail block itself (src/extension/commands/context.ts): the event the
 * server publishes for the same block is not notified a second time.
 */
export function noteCommandBlock(ruleId: string): void {
  const now = Date.now();
  for (const [id, at] of commandBlocks) if (now - at > COMMAND_BLOCK_MS) commandBlocks.delete(id);
  commandBlocks.set(ruleId, now);
}

export interface ShownNotification {
  key: string;
  severity: string;
  message: string;
}

export class Notifier implements vscode.Disposable {
  private readonly gate: NotificationGate;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** What was shown (newest last, at most 50): test builds only (the test API reads it). */
  readonly shown: ShownNotification[] = [];

  constructor() {
    this.gate = new NotificationGate((held) => {
      const message = `Sentinel: ${held} more event${held === 1 ? "" : "s"} need${held === 1 ? "s" : ""} attention.`;
      this.record("summary", "info", message);
      void vscode.window.showInformationMessage(message, "Show Events").then((choice) => {
        if (choice) void vscode.commands.executeCommand("sentinel.events.focus");
      });
    });
  }

  get stats(): NotificationGate["stats"] {
    return { ...this.gate.stats };
  }

  offer(entry: EventEntry): void {
    if (!entry.notify) return;
    if (entry.category === "guardrail") {
      // The event may arrive before the blocked call's own answer: give the command time to claim it.
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        const at = commandBlocks.get(entry.ruleId ?? "");
        if (at !== undefined && Date.now() - at < COMMAND_BLOCK_MS) return;
        this.show(entry);
      }, GUARDRAIL_DELAY_MS);
      this.timers.add(timer);
      return;
    }
    this.show(entry);
  }

  private show(entry: EventEntry): void {
    const level = vscode.workspace
      .getConfiguration("sentinel")
      .get<"all" | "errors" | "off">("notifications", "all");
    if (level === "off" || (level === "errors" && entry.severity !== "error")) return;
    if (this.gate.offer(entry.key) !== "show") return;
    const message = `Sentinel: ${entry.title}${entry.detail ? ` — ${entry.detail}` : ""}`;
    this.record(entry.key, entry.severity, message);
    const items: string[] = [];
    const alertId = /^alert:(\d+):/.exec(entry.key)?.[1];
    if (alertId) items.push("Acknowledge");
    if (entry.category === "recording") items.push("Show Recordings");
    items.push("Show Events");
    const show =
      entry.severity === "error"
        ? vscode.window.showErrorMessage
        : entry.severity === "warning"
          ? vscode.window.showWarningMessage
          : vscode.window.showInformationMessage;
    void show(message, ...items).then(async (choice) => {
      if (choice === "Acknowledge" && alertId) await executeCommand(CommandId.AckAlert, Number(alertId));
      else if (choice === "Show Recordings")
        await vscode.commands.executeCommand("sentinel.recordings.focus");
      else if (choice === "Show Events") await vscode.commands.executeCommand("sentinel.events.focus");
    });
  }

  dispose(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.gate.dispose();
  }

  private record(key: string, severity: string, message: string): void {
    if (!__SENTINEL_TEST__) return;
    this.shown.push({ key, severity, message });
    if (this.shown.length > 50) this.shown.splice(0, this.shown.length - 50);
  }
}
