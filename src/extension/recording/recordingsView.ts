// The Recordings tree: one row per recording, newest first, with its session, duration, size and state; a
// running recording shows how long it has been going. A click plays it.
import * as vscode from "vscode";
import type { RecordingInfo } from "../../protocol/recording.js";
import { md, relativeTime } from "../views/treeNodes.js";
import { formatBytes, formatDuration } from "./castText.js";
import type { RecordingsModel } from "./recordingsModel.js";

export const RECORDINGS_VIEW_ID = "sentinel.recordings";

export interface RecordingRow {
  id: string;
  label: string;
  description: string;
  contextValue: string;
}

export function recordingRow(r: RecordingInfo, now: number): RecordingRow {
  const running = r.status === "recording";
  const started = Date.parse(r.startedAt);
  const elapsed = running && !Number.isNaN(started) ? (now - started) / 1000 : r.durationMs / 1000;
  const parts = [
    r.title ? r.session : "",
    running ? `● recording ${formatDuration(elapsed)}` : formatDuration(elapsed),
    running ? "" : formatBytes(r.bytes),
    r.status === "interrupted" || r.status === "failed" ? r.status : "",
    relativeTime(r.startedAt, now),
  ];
  return {
    id: `recording:${r.id}`,
    label: r.title || r.session,
    description: parts.filter(Boolean).join(" · "),
    contextValue: `sentinel.recording.${r.status}`,
  };
}

export class RecordingsTreeProvider implements vscode.TreeDataProvider<RecordingInfo>, vscode.Disposable {
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changeEmitter.event;
  private queued = false;

  constructor(private readonly model: RecordingsModel) {}

  trigger(): void {
    if (this.queued) return;
    this.queued = true;
    queueMicrotask(() => {
      this.queued = false;
      this.changeEmitter.fire();
    });
  }

  getChildren(element?: RecordingInfo): RecordingInfo[] {
    return element ? [] : this.model.list();
  }

  getTreeItem(r: RecordingInfo): vscode.TreeItem {
    const row = recordingRow(r, Date.now());
    const item = new vscode.TreeItem(row.label, vscode.TreeItemCollapsibleState.None);
    item.id = row.id;
    item.description = row.description;
    item.contextValue = row.contextValue;
    item.iconPath =
      r.status === "recording"
        ? new vscode.ThemeIcon("record", new vscode.ThemeColor("errorForeground"))
        : r.status === "failed"
          ? new vscode.ThemeIcon("error", new vscode.ThemeColor("errorForeground"))
          : r.status === "interrupted"
            ? new vscode.ThemeIcon("warning", new vscode.ThemeColor("list.warningForeground"))
            : new vscode.ThemeIcon("play-circle");
    const lines = [
      `**${md(r.title || r.session)}** — ${r.status}${r.stopReason ? ` (${r.stopReason})` : ""}`,
      `Session: \`${r.session}\` · ${r.source === "api" ? "recorded by Sentinel" : "recorded from a terminal client"}`,
      `Started: ${new Date(r.startedAt).toLocaleString()}${r.endedAt ? ` · ended ${new Date(r.endedAt).toLocaleString()}` : ""}`,
      `${formatDuration(r.durationMs / 1000)} · ${formatBytes(r.bytes)} · ${r.events} events · ${r.cols}×${r.rows}${r.captureInput ? " · keyboard input recorded" : ""}`,
    ];
    if (r.error) lines.push(`Error: ${md(r.error)}`);
    item.tooltip = new vscode.MarkdownString(lines.join("\n\n"));
    item.command = { command: "sentinel.playRecording", title: "Play Recording", arguments: [r] };
    item.accessibilityInformation = { label: `${row.label}, ${row.description}` };
    return item;
  }

  render(): RecordingRow[] {
    const now = Date.now();
    return this.model.list().map((r) => recordingRow(r, now));
  }

  dispose(): void {
    this.changeEmitter.dispose();
  }
}
