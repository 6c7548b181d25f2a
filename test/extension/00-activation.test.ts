/// <reference types="mocha" />
// Smoke test: the extension is loaded from the repo, activates in the workspace (remote) extension host,
// registers every command its manifest contributes and returns its test API.
import * as assert from "node:assert/strict";
import { availableParallelism, loadavg } from "node:os";
import * as vscode from "vscode";
import { EXTENSION_ID, recordMetric, round, waitFor } from "./support/env.js";
import { type SentinelTestApi, showSessionsView } from "./support/sentinel.js";

describe("activation", () => {
  it("the extension is loaded from the repository into the workspace extension host", () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not installed in the test host`);
    assert.equal(ext.packageJSON.name, "sentinel-vscode");
    assert.equal(ext.extensionKind, vscode.ExtensionKind.Workspace);
    assert.ok(vscode.env.remoteName, "expected a remote (workspace) extension host");
  });

  it("activates when the Sessions view opens and returns its test API; activate() stays within 50 ms", async () => {
    // The test API is returned only in a test run (ExtensionMode.Test) whose host set the flag: it must have
    // reached the extension host, where these tests run too.
    assert.equal(process.env.SENTINEL_VSCODE_TEST, "1", "the test host's flag in the extension host");
    const ext = vscode.extensions.getExtension<SentinelTestApi>(EXTENSION_ID)!;
    // As a user would: opening the view is the activation event (onView:sentinel.sessions).
    await showSessionsView();
    await waitFor(() => ext.isActive, "activation by onView:sentinel.sessions");
    const api = await ext.activate();
    for (const fn of ["state", "serverInfo", "waitForState", "treeSnapshot", "metrics", "setConfirmAnswer"]) {
      assert.equal(typeof (api as unknown as Record<string, unknown>)[fn], "function", `api.${fn}`);
    }
    const { activateMs, activateCpuMs } = api.metrics();
    // Wall time is what the target is about, but on a machine busier than it has cores (CI running suites side by
    // side) it stretches by the wait for a core; CPU time does not. Both are reported; the wall time is held to the
    // target only while the machine is not overloaded, the CPU time always.
    const load = loadavg()[0]!;
    const overloaded = load > availableParallelism();
    recordMetric({
      metric: "activate",
      value: activateMs,
      unit: "ms",
      target: "<= 50",
      pass: activateMs <= 50,
      cpuMs: activateCpuMs,
      loadavg1: round(load, 2),
    });
    assert.ok(activateCpuMs <= 50, `activate() used ${activateCpuMs} ms of CPU`);
    if (!overloaded) assert.ok(activateMs <= 50, `activate() took ${activateMs} ms`);
  });

  it("registers every command it contributes", async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    await ext.activate();
    const contributed: string[] = (ext.packageJSON.contributes?.commands ?? []).map(
      (c: { command: string }) => c.command,
    );
    assert.ok(contributed.length > 0, "the manifest contributes no commands");
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(
      contributed.filter((c) => !registered.has(c)),
      [],
      "contributed but not registered",
    );
  });
});
