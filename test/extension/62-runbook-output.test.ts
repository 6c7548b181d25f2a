/// <reference types="mocha" />
// Runbook output in the Ops view: a job's steps are child rows with their status and duration, and Show Output
// opens a read-only document that follows the job while it runs. The step prints a line, waits for a file the test
// creates, then prints another: the first line is in the document while the job still runs, the second and the
// result once it ended.
import * as assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as vscode from "vscode";
import type { Job, Runbook } from "../../src/protocol/opsRunbooks.js";
import { waitFor } from "./support/env.js";
import { runningSentinel } from "./support/sentinel.js";

describe("runbook output", () => {
  it("shows a job's steps as rows and its output live in a document", async function () {
    this.timeout(90_000);
    const api = await runningSentinel();
    const gate = join(tmpdir(), `sentinel-gate-${randomBytes(6).toString("hex")}`);
    const { runbook } = await api.apiRequest<{ runbook: Runbook }>("POST", "/api/ops/runbooks", {
      name: "output test runbook",
      description: "prints, waits for the test, prints",
      enabled: true,
      steps: [
        { type: "command", title: "greet", command: "echo hello-$((40+2))" },
        {
          type: "command",
          title: "wait",
          command: `echo before-gate; while [ ! -e '${gate}' ]; do sleep 0.2; done; echo after-gate`,
          timeoutSeconds: 60,
        },
      ],
    });
    try {
      await vscode.commands.executeCommand("sentinel.ops.focus");
      const { job } = await api.apiRequest<{ job: Job }>("POST", `/api/ops/runbooks/${runbook.id}/run`);
      const doc = await vscode.commands.executeCommand<vscode.TextDocument>("sentinel.showJobOutput", job.id);
      assert.ok(doc, "Show Output returned no document");
      assert.equal(doc.uri.scheme, "sentinel-job");
      // Live: the second step's first line while it still waits.
      await waitFor(
        () => doc.getText().includes("before-gate") && doc.getText(),
        "the running step's output in the document",
        30_000,
      );
      assert.match(doc.getText(), /── 1\. greet\nhello-42\n── ✓ ok · /);
      assert.doesNotMatch(doc.getText(), /after-gate|Succeeded/);

      // The job's rows: the first step done, the second running.
      const jobRow = await waitFor(async () => {
        await vscode.commands.executeCommand("sentinel.refreshOps");
        const row = api
          .opsView()
          .rows.find((r) => r.id === "ops:jobs")
          ?.children?.find((r) => r.id === `ops:job:${job.id}`);
        return row?.children?.length === 2 ? row : undefined;
      }, "the job's step rows");
      assert.match(jobRow.children![0]!.label, /^1\. greet$/);
      assert.match(jobRow.children![0]!.description ?? "", /^ok · \d/);
      assert.match(jobRow.children![1]!.description ?? "", /^running · /);

      writeFileSync(gate, "");
      await waitFor(() => doc.getText().includes("Succeeded"), "the job's end in the document", 30_000);
      assert.match(doc.getText(), /── 2\. wait\nbefore-gate\nafter-gate\n── ✓ ok · .*\n\nSucceeded\n$/);
      const done = await waitFor(async () => {
        await vscode.commands.executeCommand("sentinel.refreshOps");
        const row = api
          .opsView()
          .rows.find((r) => r.id === "ops:jobs")
          ?.children?.find((r) => r.id === `ops:job:${job.id}`);
        return row?.children?.every((c) => /^ok · /.test(c.description ?? "")) ? row : undefined;
      }, "both steps ok in the Ops view");
      assert.equal(done.children?.length, 2);
    } finally {
      rmSync(gate, { force: true });
      await vscode.commands.executeCommand("workbench.action.closeAllEditors");
      await api.apiRequest("DELETE", `/api/ops/runbooks/${runbook.id}`).catch(() => undefined);
    }
  });
});
