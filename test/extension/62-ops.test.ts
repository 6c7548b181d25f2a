/// <reference types="mocha" />
// Ops alerts in the extension: the test host makes the server's health check raise a disk alert every second
// (threshold 1 %); the alert appears in the Ops view and surfaces as one notification however often it is
// raised again; Acknowledge Alert takes it off the list.
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import type { Job, Runbook } from "../../src/protocol/opsRunbooks.js";
import { waitFor } from "./support/env.js";
import { runningSentinel } from "./support/sentinel.js";

describe("ops alerts", () => {
  it("an alert shows in the Ops view, notifies once, and leaves the list when acknowledged", async function () {
    this.timeout(60_000);
    const api = await runningSentinel();
    await vscode.commands.executeCommand("sentinel.ops.focus");
    const alertRow = await waitFor(
      async () => {
        await vscode.commands.executeCommand("sentinel.refreshOps");
        const alerts = api.opsView().rows.find((r) => r.id === "ops:alerts");
        return alerts?.children?.find((r) => /disk/i.test(r.label));
      },
      "the disk alert in the Ops view",
      20_000,
    );
    const alertId = (alertRow.data as { alertId: number }).alertId;
    assert.ok(alertId > 0);
    assert.equal(alertRow.contextValue, "sentinel.alert.open");

    // Raised again every second: still one notification for it.
    await waitFor(
      () => api.notifications().shown.some((n) => n.key === `alert:${alertId}:open`),
      "the alert's notification",
    );
    await new Promise((r) => setTimeout(r, 3000));
    const shown = api.notifications().shown.filter((n) => n.key === `alert:${alertId}:open`);
    assert.equal(shown.length, 1, JSON.stringify(api.notifications()));
    assert.ok(api.notifications().stats.duplicates! >= 1, JSON.stringify(api.notifications().stats));
    assert.ok(
      api.eventsView().rows.some((r) => r.category === "ops" && /disk/i.test(r.title)),
      "the alert in the Events view",
    );

    await vscode.commands.executeCommand("sentinel.ackAlert", alertRow);
    const after = api.opsView().rows.find((r) => r.id === "ops:alerts")!;
    assert.ok(!after.children?.some((r) => r.id === alertRow.id), `still listed: ${JSON.stringify(after)}`);
    assert.match(after.description ?? "", /acknowledged/);
    // An acknowledged alert stays acknowledged while the condition lasts: it does not come back.
    await new Promise((r) => setTimeout(r, 2500));
    await vscode.commands.executeCommand("sentinel.refreshOps");
    const later = api.opsView().rows.find((r) => r.id === "ops:alerts")!;
    assert.ok(!later.children?.some((r) => r.id === alertRow.id));
  });

  it("runs a runbook from its row; the job's step progress shows in the Ops view", async function () {
    this.timeout(30_000);
    const api = await runningSentinel();
    const { runbook } = await api.apiRequest<{ runbook: Runbook }>("POST", "/api/ops/runbooks", {
      name: "extension test runbook",
      description: "two shell steps",
      enabled: true,
      steps: [
        { type: "command", title: "first step", command: "echo one" },
        { type: "command", title: "second step", command: "echo two" },
      ],
    });
    try {
      await vscode.commands.executeCommand("sentinel.refreshOps");
      const row = api
        .opsView()
        .rows.find((r) => r.id === "ops:runbooks")
        ?.children?.find((r) => r.id === `ops:runbook:${runbook.id}`);
      assert.ok(row, `runbooks: ${JSON.stringify(api.opsView().rows.find((r) => r.id === "ops:runbooks"))}`);
      assert.match(row.description ?? "", /2 steps/);
      // The modal confirmation naming the steps, answered by the test host's hook. No argument skips it (any
      // extension can run the command): declined, nothing runs even when the caller says it confirmed.
      const asked = api.confirmations().length;
      api.setConfirmAnswer(false);
      const declined = await vscode.commands.executeCommand("sentinel.runRunbook", row, { confirmed: true });
      assert.equal(declined, undefined, "declined: no job");
      assert.equal(
        api.confirmations().length,
        asked + 1,
        "asked although the caller passed { confirmed: true }",
      );
      api.setConfirmAnswer(true);
      const job = await vscode.commands.executeCommand<Job>("sentinel.runRunbook", row);
      api.setConfirmAnswer(undefined);
      const question = api.confirmations().slice(asked + 1);
      assert.equal(question.length, 1, JSON.stringify(question));
      assert.match(
        question[0]!,
        /extension test runbook[\s\S]*1\. first step — echo one\n2\. second step — echo two/,
      );
      assert.equal(job?.status, "succeeded", JSON.stringify(job));
      assert.equal(job.completedSteps, 2);
      const jobRow = await waitFor(async () => {
        await vscode.commands.executeCommand("sentinel.refreshOps");
        return api
          .opsView()
          .rows.find((r) => r.id === "ops:jobs")
          ?.children?.find(
            (r) => r.id === `ops:job:${job.id}` && /succeeded · 2\/2/.test(r.description ?? ""),
          );
      }, "the finished job in the Ops view");
      assert.equal(jobRow.label, "extension test runbook");
    } finally {
      api.setConfirmAnswer(undefined);
      await api.apiRequest("DELETE", `/api/ops/runbooks/${runbook.id}`).catch(() => undefined);
    }
  });
});
