// What a runbook job printed, as text that grows as the job runs (the Show Output document, jobOutputDocuments.ts):
// each step's header, its output (the stored output once the step finished; while it runs, what the server's
// `runningStep.outputTail` carried, stitched together by `outputBytes`), its result and duration, the job's end.
// Appending only ever adds to the end while the live output matches the stored one, so a follower can append.
import type { Job, RunningStep } from "../../protocol/opsRunbooks.js";

/** A step's output seen so far while it runs, from successive `runningStep` snapshots. */
export class LiveOutput {
  private step = -1;
  private bytes = 0;
  text = "";

  /** Adds what this snapshot carries beyond the last one (a gap the 4 KiB tail cannot cover is said). */
  update(running: RunningStep | undefined): void {
    if (!running) return;
    if (running.stepIndex !== this.step) {
      this.step = running.stepIndex;
      this.bytes = 0;
      this.text = "";
    }
    const added = running.outputBytes - this.bytes;
    if (added <= 0) return;
    const tail = Buffer.from(running.outputTail, "utf8");
    if (added <= tail.length) this.text += tail.subarray(tail.length - added).toString("utf8");
    else this.text += `[… ${added - tail.length} bytes not shown …]\n${running.outputTail}`;
    this.bytes = running.outputBytes;
  }

  /** The output of `stepIndex` seen live, if that is the step followed. */
  of(stepIndex: number): string | undefined {
    return stepIndex === this.step ? this.text : undefined;
  }
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

const withNewline = (text: string) => (text && !text.endsWith("\n") ? `${text}\n` : text);

/** The job's output document. */
export function renderJob(job: Job, live: LiveOutput): string {
  const lines = [`Runbook "${job.runbookName || job.runbookId}" · job ${job.id}\n`];
  const results = [...job.stepResults].sort((a, b) => a.stepIndex - b.stepIndex);
  for (const step of results) {
    lines.push(`\n── ${step.stepIndex + 1}. ${step.title}\n`);
    lines.push(withNewline(step.output));
    if (step.truncatedBytes) lines.push(`[… ${step.truncatedBytes} bytes left out by the server …]\n`);
    lines.push(`── ${step.error ? `✗ ${step.error}` : "✓ ok"} · ${formatDuration(step.durationMs)}\n`);
  }
  const running = job.status === "running" ? job.runningStep : undefined;
  if (running && !results.some((r) => r.stepIndex === running.stepIndex)) {
    lines.push(`\n── ${running.stepIndex + 1}. ${running.title}\n`);
    lines.push(live.of(running.stepIndex) ?? running.outputTail);
  }
  if (job.status === "succeeded" || job.status === "failed") {
    lines.push(
      `\n${job.status === "succeeded" ? "Succeeded" : `Failed: ${job.error || "no reason given"}`}\n`,
    );
  }
  return lines.join("");
}
