// Modal confirmations. In a test build the test API can answer them (a test cannot click a modal dialog); that
// hook is compiled out of the production build and handed only to the test host (src/extension/testApi.ts).
import * as vscode from "vscode";

export class Prompts {
  private answer: boolean | undefined;
  /** Confirmations asked so far (test builds only). */
  readonly asked: string[] = [];

  /** Test host only: true/false answers the next confirmations without a dialog; undefined restores them. */
  setAnswer(answer: boolean | undefined): void {
    if (__SENTINEL_TEST__) this.answer = answer;
  }

  /** A modal warning with one action; true when the user chose it. */
  async confirm(message: string, detail: string, action: string): Promise<boolean> {
    if (__SENTINEL_TEST__) {
      this.asked.push(detail ? `${message}\n${detail}` : message);
      if (this.answer !== undefined) return this.answer;
    }
    const choice = await vscode.window.showWarningMessage(message, { modal: true, detail }, action);
    return choice === action;
  }
}
