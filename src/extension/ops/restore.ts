// Restoring a recovered session (spec §1.10, §7.2): pick the session and a snapshot, a mode and, when a live
// session has the name, what to do about it; `POST /api/recovery/snapshots/{id}/restore` starts a job whose
// progress (`recovery.job.updated`; `GET /api/recovery/jobs/{id}` once after subscribing and whenever events may
// have been missed) drives a
// progress notification until it succeeds or fails.
import * as vscode from "vscode";
import { EventType } from "../../protocol/events.js";
import type {
  ConflictPolicy,
  RecoveryJob,
  RecoveryJobPayload,
  RestoreMode,
} from "../../protocol/recovery.js";
import { Routes } from "../../protocol/routes.js";
import type { ApiClient } from "../client/apiClient.js";
import type { RefreshManager } from "../client/refreshManager.js";
import type { SessionsModel } from "../client/sessionsModel.js";

export interface RestoreOptions {
  mode?: RestoreMode;
  conflictPolicy?: ConflictPolicy;
  targetSession?: string;
  snapshotId?: number;
}

const JOB_TIMEOUT_MS = 6 * 60_000;

export async function restoreSession(
  api: ApiClient,
  refresh: RefreshManager,
  sessions: SessionsModel,
  arg: { data?: unknown } | string | undefined,
  options: RestoreOptions | undefined,
): Promise<RecoveryJob | undefined> {
  const interactive = !options;
  const data = (typeof arg === "object" ? arg?.data : undefined) as
    | { session?: string; snapshotId?: number }
    | undefined;
  let session = typeof arg === "string" ? arg : data?.session;
  let snapshotId = options?.snapshotId ?? data?.snapshotId;
  if (!session) {
    const list = (await api.call(Routes.recoverySessions, {}, undefined))?.sessions ?? [];
    const candidates = list.filter((s) => s.latestSnapshotId > 0 && s.state !== "archived");
    if (!candidates.length) {
      void vscode.window.showInformationMessage("Sentinel: there is no session with a snapshot to restore.");
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      candidates.map((s) => ({
        label: s.name,
        description: `${s.state} · ${s.windows} window${s.windows === 1 ? "" : "s"}`,
        s,
      })),
      { title: "Restore a tmux session", placeHolder: "Session" },
    );
    if (!picked) return undefined;
    session = picked.s.name;
    snapshotId = picked.s.latestSnapshotId;
  }
  if (interactive || !snapshotId) {
    const snapshots =
      (await api.call(Routes.recoverySnapshots, { session }, undefined, { query: { limit: 20 } }))
        ?.snapshots ?? [];
    if (interactive && snapshots.length > 1) {
      const picked = await vscode.window.showQuickPick(
        snapshots.map((s, i) => ({
          label: new Date(s.capturedAt).toLocaleString(),
          description: `${s.windows} window${s.windows === 1 ? "" : "s"}, ${s.panes} pane${s.panes === 1 ? "" : "s"}${i === 0 ? " · latest" : ""}`,
          id: s.id,
        })),
        { title: `Restore ${session} (1/3): snapshot` },
      );
      if (!picked) return undefined;
      snapshotId = picked.id;
    } else if (snapshots[0]) snapshotId ??= snapshots[0].id;
  }
  if (!snapshotId) throw new Error(`${session} has no snapshot to restore`);

  let mode = options?.mode;
  if (!mode) {
    const picked = await vscode.window.showQuickPick(
      [
        {
          label: "Confirm",
          description: "layout and folders; each pane's command typed, not run",
          value: "confirm" as const,
        },
        { label: "Safe", description: "layout and folders only", value: "safe" as const },
        {
          label: "Full",
          description: "layout, folders, and each pane's command run again",
          value: "full" as const,
        },
      ],
      { title: `Restore ${session} (2/3): mode` },
    );
    if (!picked) return undefined;
    mode = picked.value;
  }
  let conflictPolicy = options?.conflictPolicy;
  const target = options?.targetSession ?? session;
  if (!conflictPolicy && sessions.session(target)) {
    const picked = await vscode.window.showQuickPick(
      [
        {
          label: "Rename",
          description: `restore beside the live ${target} under a new name`,
          value: "rename" as const,
        },
        { label: "Skip", description: `keep the live ${target}; restore nothing`, value: "skip" as const },
        {
          label: "Replace",
          description: `kill the live ${target} and restore in its place`,
          value: "replace" as const,
        },
      ],
      { title: `Restore ${session} (3/3): a session named ${target} is running` },
    );
    if (!picked) return undefined;
    conflictPolicy = picked.value;
  }
  const body = {
    mode,
    conflictPolicy: conflictPolicy ?? "rename",
    ...(options?.targetSession ? { targetSession: options.targetSession } : {}),
  };
  const started = (await api.call(Routes.restoreSnapshot, { snapshot: String(snapshotId) }, body)).job;
  const job = await followJob(api, refresh, started, `Restoring ${session}`);
  if (job.status === "succeeded") {
    void refresh.refresh("restore finished");
    if (interactive) {
      void vscode.window
        .showInformationMessage(`Sentinel: restored ${job.targetSession || session}.`, "Attach")
        .then((choice) => {
          if (choice) void vscode.commands.executeCommand("sentinel.attach", job.targetSession || session);
        });
    }
  } else if (interactive) {
    void vscode.window.showErrorMessage(
      `Sentinel: restoring ${session} ${job.status}: ${job.error || "no reason given"}`,
    );
  }
  return job;
}

/** Follows a job to its end with a progress notification; resolves with its last state. */
function followJob(
  api: ApiClient,
  refresh: RefreshManager,
  job: RecoveryJob,
  title: string,
): Promise<RecoveryJob> {
  return Promise.resolve(
    vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: false },
      (progress) =>
        new Promise<RecoveryJob>((resolve) => {
          let current = job;
          let reported = 0;
          let finished = false;
          const done = (final: RecoveryJob) => {
            if (finished) return;
            finished = true;
            clearTimeout(limit);
            sub.dispose();
            missedSub.dispose();
            resolve(final);
          };
          const update = (next: Partial<RecoveryJob>) => {
            if (finished) return;
            current = { ...current, ...next };
            const total = current.totalSteps || 0;
            const completed = current.completedSteps || 0;
            const pct = total ? Math.min(100, (completed / total) * 100) : 0;
            progress.report({
              message: [current.status, total ? `${completed}/${total}` : "", current.currentStep]
                .filter(Boolean)
                .join(" · "),
              increment: Math.max(0, pct - reported),
            });
            reported = Math.max(reported, pct);
            if (current.status === "succeeded" || current.status === "failed" || current.status === "partial")
              done(current);
          };
          // Each status carries its own fields (RecoveryJobPayload): progress while running, the message of a
          // failure, the session a success restored into.
          const sub = refresh.onEvent(EventType.RecoveryJobUpdated, (p: RecoveryJobPayload | undefined) => {
            if (!p || p.jobId !== job.id) return;
            update({
              status: p.status,
              ...("completed" in p
                ? { completedSteps: p.completed, totalSteps: p.total, currentStep: p.step }
                : {}),
              ...("message" in p ? { error: p.message } : {}),
              ...("target" in p ? { targetSession: p.target } : {}),
            });
          });
          // The job's events before this subscription (a fast restore may have ended), and any the socket lost.
          const read = () =>
            void api
              .call(Routes.recoveryJob, { job: job.id }, undefined)
              .then((r) => r?.job && update(r.job))
              .catch(() => undefined);
          const missedSub = refresh.onDidMissEvents(read);
          const limit = setTimeout(
            () => done({ ...current, status: "failed", error: current.error || "no end reported in time" }),
            JOB_TIMEOUT_MS,
          );
          update(job);
          read();
        }),
    ),
  );
}
