// Runs one restore (spec §7.2) through the tmux adapter: resolve the target by the conflict policy, create the
// session at the size its layouts were taken at, each window at its index with its panes started in their
// directories (one tmux process), then its layout, titles, the commands the mode asks for, the active pane and
// window (another). Reports each step; stops between windows once `signal` is aborted. Job bookkeeping (store,
// events) is the caller's.
import { hostname } from "node:os";
import type { ConflictPolicy, RestoreMode } from "../../protocol/recovery.js";
import type { Tmux } from "../tmux/adapter.js";
import { type RestorePlan, renameCandidates, replayFor } from "./plan.js";

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

/** Runs the restore; resolves with the session it created. Two tmux processes per window. */
export async function runRestore(run: RestoreRun): Promise<string> {
  const { tmux, plan, signal } = run;
  const first = plan.windows[0];
  if (!first) throw new RestoreError("snapshot has no windows");

  let target = await resolveTarget(tmux, run.target, run.conflictPolicy);
  if (target !== run.target) run.retarget(target);
  run.step("target resolved");

  const defaultTitle = hostname();
  for (const [i, window] of plan.windows.entries()) {
    checkAborted(signal);
    const built = await tmux.buildWindow({
      session: target,
      index: window.index,
      name: window.name,
      cwds: window.panes.map((p) => p.currentPath),
      ...(i === 0 ? { newSession: plan.size ?? {} } : {}),
    });
    if (i === 0) {
      if (built.session !== target) {
        target = built.session;
        run.retarget(target);
      }
      // With a base-index other than the snapshot's, the first window is moved to its index.
      if (built.windowIndex !== window.index) await tmux.moveWindow(target, built.windowIndex, window.index);
    }
    run.step(i === 0 ? "session created" : `window ${window.index} ready`);
    checkAborted(signal);

    const titles: Array<{ paneId: string; title: string }> = [];
    const typed: Array<{ paneId: string; text: string; enter: boolean }> = [];
    let activePane: string | undefined;
    window.panes.forEach((pane, j) => {
      const paneId = built.paneIds[j]!;
      // A new pane's title is already the host name.
      if (pane.title && pane.title !== defaultTitle) titles.push({ paneId, title: pane.title });
      const replay = replayFor(pane, run.mode);
      if (replay) typed.push({ paneId, ...replay });
      if (pane.active) activePane = paneId;
    });
    const activeWindow = plan.windows.some((w) => w.index === plan.activeWindow) ? plan.activeWindow : -1;
    await tmux.arrangeWindow({
      session: target,
      index: window.index,
      layout: window.layout,
      titles,
      typed,
      ...(activePane && window.panes.length > 1 ? { activePane } : {}),
      select: window.index === activeWindow,
    });
    for (const pane of window.panes) run.step(`window ${window.index} pane ${pane.paneIndex} restored`);
    run.step(`window ${window.index} restored`);
  }
  return target;
}
