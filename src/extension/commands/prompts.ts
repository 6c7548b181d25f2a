// Modal confirmations, replaceable by the test API's hook (a test cannot click a modal dialog).
import * as vscode from "vscode";

export class Prompts {
  private answer: boolean | undefined;
  readonly asked: string[] = [];

  setAnswer(answer: boolean | undefined): void {
    this.answer = answer;
  }

  /** A modal warning with one action; true when the user chose it. */
  async confirm(message: string, detail: string, action: string): Promise<boolean> {
    this.asked.push(detail ? `${message}\n${detail}` : message);
    if (this.answer !== undefined) return this.answer;
    const choice = await vscode.window.showWarningMessage(message, { modal: true, detail }, action);
    return choice === action;
  }
}
