// A runbook job's output document (src/extension/ops/jobOutput.ts): live tails stitched by byte counts, a gap the
// tail cannot cover said, the stored output once a step finished, and text that only grows while they agree.
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDuration, LiveOutput, renderJob } from "../../src/extension/ops/jobOutput.js";
import type { Job, RunningStep } from "../../src/protocol/opsRunbooks.js";

const running = (stepIndex: number, text: string, outputBytes = Buffer.byteLength(text)): RunningStep => ({
  stepIndex,
  title: `step ${stepIndex}`,
  type: "command",
  outputTail: text.slice(-4096),
  outputBytes,
  elapsedMs: 100,
});

function job(over: Partial<Job>): Job {
  return {
    id: "job-1",
    runbookId: "rb",
    runbookName: "deploy",
    status: "running",
    totalSteps: 2,
    completedSteps: 0,
    currentStep: "",
    error: "",
    stepResults: [],
    createdAt: "2026-12-02T20:00:00Z",
    ...over,
  };
}

test("successive tails are stitched by byte count; a step change starts over", () => {
  const live = new LiveOutput();
  live.update(running(0, "héllo\n"));
  live.update(running(0, "héllo\nworld\n"));
  live.update(running(0, "héllo\nworld\n"));
  assert.equal(live.of(0), "héllo\nworld\n");
  live.update(running(1, "next\n"));
  assert.equal(live.of(1), "next\n");
  assert.equal(live.of(0), undefined);
});

test("more output than the tail holds between two snapshots is marked as a gap", () => {
  const live = new LiveOutput();
  live.update(running(0, "a\n"));
  const tail = "x".repeat(4096);
  live.update(running(0, tail, 2 + 10_000));
  assert.equal(live.of(0), `a\n[… ${10_000 - 4096} bytes not shown …]\n${tail}`);
});

test("the document grows by appending while a job runs, and ends with its result", () => {
  const live = new LiveOutput();
  const steps: string[] = [];
  const render = (j: Job) => {
    live.update(j.status === "running" ? j.runningStep : undefined);
    const text = renderJob(j, live);
    steps.push(text);
    return text;
  };
  render(job({ runningStep: running(0, "one\n") }));
  render(job({ runningStep: running(0, "one\ntwo\n") }));
  const done0 = {
    stepIndex: 0,
    title: "step 0",
    type: "command",
    output: "one\ntwo\n",
    error: "",
    durationMs: 1500,
  };
  render(job({ stepResults: [done0], completedSteps: 1, runningStep: running(1, "") }));
  const last = render(
    job({
      status: "failed",
      error: 'step 2 "step 1" failed: exit status 3',
      stepResults: [
        done0,
        {
          stepIndex: 1,
          title: "step 1",
          type: "command",
          output: "oops",
          error: "exit status 3",
          durationMs: 20,
        },
      ],
    }),
  );
  for (let i = 1; i < steps.length; i++)
    assert.ok(steps[i]!.startsWith(steps[i - 1]!), `render ${i} appends`);
  assert.equal(
    last,
    [
      'Runbook "deploy" · job job-1',
      "",
      "── 1. step 0",
      "one",
      "two",
      "── ✓ ok · 1.5 s",
      "",
      "── 2. step 1",
      "oops",
      "── ✗ exit status 3 · 20 ms",
      "",
      'Failed: step 2 "step 1" failed: exit status 3',
      "",
    ].join("\n"),
  );
});

test("durations", () => {
  assert.equal(formatDuration(12.4), "12 ms");
  assert.equal(formatDuration(1234), "1.2 s");
  assert.equal(formatDuration(125_000), "2 min 5 s");
});
