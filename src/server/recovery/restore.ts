// Runs one restore (spec §7.2) through the tmux adapter: resolve the target by the conflict policy, create the
// session at the size its layouts were taken at, each window at its index with its panes started in their
// directories, the layout, titles, the commands the mode asks for, the active pane and window. Reports each step;
// stops between steps once `signal` is aborted. Job bookkeeping (store, events) is the caller's.
import type { ConflictPolicy, RestoreMode } from "../../protocol/recovery.js";
import type { Tmux } from "../tmux/adapter.js";
import { type RestorePlan, renameCandidates, replayFor, splitFlag } from "./plan.js";

export interface RestoreRun {
  tmux: Tmux;
  plan: RestorePlan;
  mode: RestoreMode;
  conflictPolicy: ConflictPolicy;
  target: string;
  signal: AbortSignal;
  /** One step done (`label` as in §7.2). */
  step(label: string): void;
  /** The target changed (renamed by the policy, or rewritten by tmux). */
  retarget(target: string): void;
}

export class RestoreError extends Error {}

function checkAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new RestoreError(String(signal.reason ?? "aborted"));
}

/** The session name to restore into, after the conflict policy (§7.2 step 2). */
export async function resolveTarget(tmux: Tmux, target: string, policy: ConflictPolicy): Promise<string> {
  if (!(await tmux.hasSession(target))) return target;
  if (policy === "replace") {
    await tmux.killSession(target);
    return target;
  }
  if (policy === "skip") throw new RestoreError(`session "${target}" already exists`);
  for (const candidate of renameCandidates(target)) {
    if (!(await tmux.hasSession(candidate))) return candidate;
  }
  throw new RestoreError(`unable to allocate unique restore target for "${target}"`);
}

/** Runs the restore; resolves with the session it created. */
export async function runRestore(run: RestoreRun): Promise<string> {
  const { tmux, plan, signal } = run;
  const first = plan.windows[0];
  if (!first) throw new RestoreError("snapshot has no windows");

  let target = await resolveTarget(tmux, run.target, run.conflictPolicy);
  if (target !== run.target) run.retarget(target);
  run.step("target resolved");
  checkAborted(signal);

  const created = await tmux.newSessionWith(target, {
    windowName: first.name,
    cwd: first.panes[0]?.currentPath,
    ...(plan.size ?? {}),
  });
  if (created.session !== target) {
    target = created.session;
    run.retarget(target);
  }
  // With a base-index other than the snapshot's, the first window is moved to its index.
  if (created.windowIndex !== first.index) await tmux.moveWindow(target, created.windowIndex, first.index);
  run.step("session created");

  for (const [i, window] of plan.windows.entries()) {
    checkAborted(signal);
    let firstPane = created.paneId;
    if (i > 0) {
      firstPane = await tmux.newWindowWith(target, window.index, {
        name: window.name,
        cwd: window.panes[0]?.currentPath,
      });
      run.step(`window ${window.index} ready`);
    }
    const paneIds = [firstPane];
    for (let next = 1; next < window.panes.length; next++) {
      checkAborted(signal);
      const from = paneIds[paneIds.length - 1]!;
      paneIds.push(await tmux.splitPaneWith(from, splitFlag(next), window.panes[next]?.currentPath));
    }
    if (window.layout) {
      // A layout tmux refuses (another pane count, say) leaves the split arrangement; not a failure (§7.2).
      await tmux.selectLayout(target, window.index, window.layout).catch(() => undefined);
    }
    let active: string | undefined;
    for (const [j, pane] of window.panes.entries()) {
      const paneId = paneIds[j]!;
      if (pane.title) await tmux.setPaneTitle(paneId, pane.title).catch(() => undefined);
      const replay = replayFor(pane, run.mode);
      if (replay) await tmux.typeInto(paneId, replay.text, replay.enter);
      if (pane.active) active = paneId;
      run.step(`window ${window.index} pane ${pane.paneIndex} restored`);
    }
    if (active && window.panes.length > 1) await tmux.selectPane(active);
    run.step(`window ${window.index} restored`);
  }
  if (plan.activeWindow >= 0 && plan.windows.some((w) => w.index === plan.activeWindow)) {
    await tmux.selectWindow(target, plan.activeWindow);
  }
  return target;
}
