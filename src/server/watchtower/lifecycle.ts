// Command lifecycle (spec §4.1 step 4.4): which `command.started` / `command.finished` events a pane's
// current command implies, given what the pane runtime row remembers.

const SHELLS = new Set(["sh", "bash", "zsh", "fish", "tmux"]);

/** `pane_current_command || pane_start_command`, with "-" read as "". */
export function paneCommand(currentCommand: string, startCommand: string): string {
  const command = currentCommand || startCommand;
  return command === "-" ? "" : command;
}

export function isShellLike(command: string): boolean {
  return SHELLS.has(command.trim().toLowerCase());
}

export interface RuntimeRow {
  command: string;
  /** ISO time the command was first seen. */
  startedAt: string;
}

export type LifecycleEvent =
  | { type: "command.started"; command: string }
  | { type: "command.finished"; command: string; durationMs: number };

export interface LifecycleStep {
  events: LifecycleEvent[];
  /** The runtime row to store. */
  runtime: RuntimeRow;
}

/**
 * No row yet: `command.started` unless the command is empty or shell-like. Command changed: `command.finished`
 * for the old one (unless shell-like or empty) with its duration, then `command.started` for the new one
 * (same exception). Unchanged: nothing, and the row keeps its start time.
 */
export function commandLifecycle(
  previous: RuntimeRow | undefined,
  command: string,
  nowIso: string,
): LifecycleStep {
  const started = (c: string): LifecycleEvent[] =>
    c && !isShellLike(c) ? [{ type: "command.started", command: c }] : [];
  if (!previous) return { events: started(command), runtime: { command, startedAt: nowIso } };
  if (previous.command === command) return { events: [], runtime: previous };
  const events: LifecycleEvent[] = [];
  if (previous.command && !isShellLike(previous.command)) {
    const began = Date.parse(previous.startedAt);
    const durationMs = Number.isFinite(began) ? Math.max(0, Date.parse(nowIso) - began) : 0;
    events.push({ type: "command.finished", command: previous.command, durationMs });
  }
  events.push(...started(command));
  return { events, runtime: { command, startedAt: nowIso } };
}
