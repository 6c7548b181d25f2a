// Double-click on a Sessions row: VS Code trees have no double-click event, and a row's command runs on every
// click, so the second click on the same row within DOUBLE_CLICK_MS is the double-click (registerCommands.ts
// attaches it). Enter attaches the selected row through a keybinding instead.

/** Two clicks on the same row within this long are a double-click. */
export const DOUBLE_CLICK_MS = 500;

export class RowClicks {
  private last: { id: string; at: number } | undefined;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Whether this click completes a double-click on `id` (a third click starts over). */
  click(id: string): boolean {
    const at = this.now();
    const double = this.last !== undefined && this.last.id === id && at - this.last.at <= DOUBLE_CLICK_MS;
    this.last = double ? undefined : { id, at };
    return double;
  }
}
