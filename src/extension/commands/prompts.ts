// Modal confirmations and notifications with actions. In a test build the test API can answer them (a test
// cannot click a dialog or a toast); that hook is compiled out of the production build and handed only to the
// test host (src/extension/testApi.ts).
import * as vscode from "vscode";

/** A notification with actions, waiting for a choice (test builds only). */
export interface PendingNotice {
  message: string;
  actions: string[];
}

export class Prompts {
  private answer: boolean | undefined;
  /** Confirmations asked so far (test builds only). */
  readonly asked: string[] = [];
  /** Notifications with actions not chosen from yet, oldest first (test builds only). */
  private readonly notices: Array<PendingNotice & { choose(action: string | undefined): void }> = [];

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

  /**
   * An information notification with actions: resolves with the action chosen, undefined when it is dismissed.
   * Callers do not await it in a command (a toast can wait in the notification center for as long as it likes).
   */
  inform(message: string, ...actions: string[]): Promise<string | undefined> {
    const shown = Promise.resolve(vscode.window.showInformationMessage(message, ...actions));
    if (!__SENTINEL_TEST__) return shown;
    return new Promise((resolve) => {
      const notice = {
        message,
        actions,
        choose: (action: string | undefined) => {
          const at = this.notices.indexOf(notice);
          if (at < 0) return;
          this.notices.splice(at, 1);
          resolve(action);
        },
      };
      this.notices.push(notice);
      if (this.notices.length > 50) this.notices.shift();
      shown.then(notice.choose, () => notice.choose(undefined));
    });
  }

  /** Test builds: the notifications with actions still waiting for a choice. */
  pendingNotices(): PendingNotice[] {
    return this.notices.map(({ message, actions }) => ({ message, actions: [...actions] }));
  }

  /**
   * Test host only: chooses `action` on the newest waiting notification whose message contains `text`, as a click
   * on its button would. False when there is no such notification or it has no such action.
   */
  chooseNotice(text: string, action: string): boolean {
    if (!__SENTINEL_TEST__) return false;
    const notice = [...this.notices].reverse().find((n) => n.message.includes(text));
    if (!notice?.actions.includes(action)) return false;
    notice.choose(action);
    return true;
  }
}
