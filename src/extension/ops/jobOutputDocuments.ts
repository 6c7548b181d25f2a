// "Show Output" on a runbook job or step in the Ops view: a read-only document (`sentinel-job:` scheme) with what
// the job's steps printed (jobOutput.ts), that follows the job while it runs: `ops.job.updated` events (the server
// refreshes the running step's output tail about once a second) and `GET /api/ops/jobs/{id}` of every followed
// job that has not ended whenever events may have been missed (RefreshManager.onDidMissEvents). Editors showing
// it scroll to the end as it grows.
import * as vscode from "vscode";
import { EventType } from "../../protocol/events.js";
import type { Job } from "../../protocol/opsRunbooks.js";
import { Routes } from "../../protocol/routes.js";
import type { RefreshManager } from "../client/refreshManager.js";
import { LiveOutput, renderJob } from "./jobOutput.js";

export const JOB_OUTPUT_SCHEME = "sentinel-job";

interface Followed {
  uri: vscode.Uri;
  job: Job;
  live: LiveOutput;
  text: string;
}

const ended = (job: Job) => job.status === "succeeded" || job.status === "failed";

export class JobOutputDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changes = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changes.event;
  /** By job id. */
  private readonly followed = new Map<string, Followed>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly refresh: RefreshManager) {
    this.disposables.push(
      refresh.onEvent(EventType.OpsJobUpdated, (payload) => {
        const job = payload?.job;
        if (job && this.followed.has(job.id)) this.note(job);
      }),
      refresh.onDidMissEvents(() => {
        for (const entry of this.followed.values()) if (!ended(entry.job)) void this.read(entry);
      }),
      vscode.workspace.registerTextDocumentContentProvider(JOB_OUTPUT_SCHEME, this),
      vscode.workspace.onDidCloseTextDocument((doc) => {
        if (doc.uri.scheme !== JOB_OUTPUT_SCHEME) return;
        const entry = this.followed.get(doc.uri.query);
        if (entry) this.forget(entry);
      }),
      this.changes,
    );
  }

  /** Opens the job's output document (reading the job first); returns it. */
  async show(jobId: string): Promise<vscode.TextDocument> {
    const api = this.refresh.api;
    if (!api) throw new Error("the Sentinel server is not running");
    const job = (await api.call(Routes.job, { job: jobId }, undefined)).job;
    let entry = this.followed.get(job.id);
    if (!entry) {
      const name = (job.runbookName || job.runbookId).replace(/[/\\]/g, "-");
      entry = {
        uri: vscode.Uri.from({
          scheme: JOB_OUTPUT_SCHEME,
          path: `/${name} (job ${job.id}).log`,
          query: job.id,
        }),
        job,
        live: new LiveOutput(),
        text: "",
      };
      this.followed.set(job.id, entry);
    }
    this.note(job);
    // An event between the read above and the entry (the job's end, say) was not noted: read once more.
    if (!ended(entry.job)) void this.read(entry);
    const doc = await vscode.workspace.openTextDocument(entry.uri);
    await vscode.window.showTextDocument(doc, { preview: false });
    return doc;
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return (
      this.followed.get(uri.query)?.text ??
      "This job's output is no longer followed: use Show Output again.\n"
    );
  }

  dispose(): void {
    for (const entry of [...this.followed.values()]) this.forget(entry);
    for (const d of this.disposables.splice(0).reverse()) d.dispose();
  }

  private note(job: Job): void {
    const entry = this.followed.get(job.id);
    if (!entry) return;
    // An older snapshot (a poll answered after a newer event) does not take the document back.
    if (ended(entry.job) && !ended(job)) return;
    entry.job = job;
    entry.live.update(job.status === "running" ? job.runningStep : undefined);
    const text = renderJob(job, entry.live);
    if (text !== entry.text) {
      entry.text = text;
      this.changes.fire(entry.uri);
      setTimeout(() => this.revealEnd(entry.uri), 0);
    }
  }

  private async read(entry: Followed): Promise<void> {
    const api = this.refresh.api;
    if (!api) return;
    try {
      const job = (await api.call(Routes.job, { job: entry.job.id }, undefined)).job;
      if (this.followed.get(job.id) === entry) this.note(job);
    } catch {
      // the next event, or the read after the next missed-events signal
    }
  }

  private revealEnd(uri: vscode.Uri): void {
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document.uri.toString() !== uri.toString()) continue;
      const end = editor.document.lineAt(editor.document.lineCount - 1).range.end;
      editor.revealRange(new vscode.Range(end, end), vscode.TextEditorRevealType.Default);
    }
  }

  private forget(entry: Followed): void {
    this.followed.delete(entry.job.id);
  }
}
