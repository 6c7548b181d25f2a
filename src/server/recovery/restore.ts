// Runs one restore (spec §7.2) through the tmux adapter: resolve the target by the conflict policy, create the
// session at the size its layouts were taken at, each window at its index with its panes started in their
// directories (one tmux process), then its layout, titles, the commands the mode asks for, the active pane and
// window (another). Reports each step; stops between windows once `signal` is aborted. A restore that fails or
// is aborted after it started creating the session removes that partial session (issue 14 item 6) and says so in
// a PartialRestoreError; if it cannot, the error names the session left behind. Job bookkeeping (store, events)
// is the caller's.
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

/** What a failed restore had built: the session it created, how far it got, and whether it was removed. */
export interface PartialRestore {
  session: string;
  windowsBuilt: number;
  windowsTotal: number;
  removed: boolean;
  /** Why it could not be removed (when `removed` is false). */
  removeError?: string;
}

/** A restore that failed after it started building its session; `cause` is what made it fail. */
export class PartialRestoreError extends RestoreError {
  constructor(
    readonly partial: PartialRestore,
    cause: unknown,
  ) {
    super((cause as Error)?.message || String(cause), { cause });
  }
}

/** The step label after which the session exists (the second step, after "target resolved"). */
export const SESSION_CREATED_STEP = "session created";

/**
 * What the error of a job interrupted with its server (stopped or killed, so it could not clean up) adds: the
 * session it had created, if its saved progress says it got that far ("" otherwise).
 */
export function interruptedNote(job: { targetSession: string; completedSteps: number; totalSteps: number }) {
  if (job.completedSteps < 2) return "";
  return `; the partial session "${job.targetSession}" (${job.completedSteps} of ${job.totalSteps} steps done) may be left in tmux`;
}

/** What a failed job's error adds about the session the restore had built. */
export function partialNote(p: PartialRestore): string {
  const built = `${p.windowsBuilt} of ${p.windowsTotal} windows`;
  return p.removed
    ? `; the partial session "${p.session}" (${built}) was removed`
    : `; the partial session "${p.session}" (${built}) was left in tmux: it could not be removed (${p.removeError ?? "unknown error"})`;
}

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
  // From the first window's creation on, the session at `target` is this restore's (the conflict policy made
  // sure nothing else had the name), so a failure removes it.
  let creating = false;
  let sessionBuilt = false;
  let windowsBuilt = 0;
  try {
    await buildWindows();
  } catch (error) {
    if (!creating) throw error;
    // The first window's new-session refused because the name was taken meanwhile: that session is not ours.
    if (!sessionBuilt && /duplicate session/i.test((error as Error).message ?? "")) throw error;
    const partial: PartialRestore = {
      session: target,
      windowsBuilt,
      windowsTotal: plan.windows.length,
      removed: false,
    };
    try {
      await tmux.killSession(target);
      partial.removed = true;
    } catch (removeError) {
      // Not there (tmux refused the session before creating it, or it is gone): nothing was left.
      if (!(await tmux.hasSession(target).catch(() => true))) partial.removed = true;
      else partial.removeError = (removeError as Error).message || String(removeError);
    }
    throw new PartialRestoreError(partial, error);
  }
  return target;

  async function buildWindows(): Promise<void> {
    for (const [i, window] of plan.windows.entries()) {
      checkAborted(signal);
      creating = true;
      const built = await tmux.buildWindow({
        session: target,
        index: window.index,
        name: window.name,
        cwds: window.panes.map((p) => p.currentPath),
        ...(i === 0 ? { newSession: plan.size ?? {} } : {}),
      });
      sessionBuilt = true;
      if (i === 0) {
        if (built.session !== target) {
          target = built.session;
          run.retarget(target);
        }
        // With a base-index other than the snapshot's, the first window is moved to its index.
        if (built.windowIndex !== window.index)
          await tmux.moveWindow(target, built.windowIndex, window.index);
      }
      run.step(i === 0 ? SESSION_CREATED_STEP : `window ${window.index} ready`);
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
      windowsBuilt++;
    }
  }
}
