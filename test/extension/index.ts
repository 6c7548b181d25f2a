// The extension-tests entry point that VS Code loads (`--extensionTestsPath`): runs every *.test.js next to it
// with mocha inside the extension host, writes the results for the host (scripts/vscode-test/run.mjs) and
// rejects when anything failed, which makes VS Code exit with code 1.
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { format } from "node:util";
import Mocha from "mocha";
import * as vscode from "vscode";
import { recordedMetrics, testEnv } from "./support/env.js";

interface TestResult {
  title: string;
  state: "passed" | "failed" | "pending";
  durationMs?: number;
  error?: string;
}

export async function run(): Promise<void> {
  const started = Date.now();
  const env = testEnv();
  // The extension host forwards console.log's arguments unformatted: give mocha's reporter plain lines.
  Mocha.reporters.Base.consoleLog = (...args: unknown[]) => console.log(format(...args));
  const mocha = new Mocha({ ui: "bdd", color: false, reporter: "spec", timeout: 30_000, slow: 2_000 });
  if (env.grep) mocha.grep(env.grep);
  const files = readdirSync(__dirname)
    .filter((f) => f.endsWith(".test.js"))
    .sort();
  for (const file of files) mocha.addFile(join(__dirname, file));

  const tests: TestResult[] = [];
  const failures = await new Promise<number>((resolve) => {
    const runner = mocha.run((failed) => resolve(failed));
    runner.on("pass", (test) =>
      tests.push({ title: test.fullTitle(), state: "passed", durationMs: test.duration }),
    );
    runner.on("fail", (test, error: Error) =>
      tests.push({ title: test.fullTitle(), state: "failed", error: String(error?.stack ?? error) }),
    );
    runner.on("pending", (test) => tests.push({ title: test.fullTitle(), state: "pending" }));
  });

  const count = (state: TestResult["state"]) => tests.filter((t) => t.state === state).length;
  const summary = {
    vscodeVersion: vscode.version,
    appHost: vscode.env.appHost,
    remoteName: vscode.env.remoteName,
    node: process.version,
    passed: count("passed"),
    failed: Math.max(failures, count("failed")),
    pending: count("pending"),
    durationMs: Date.now() - started,
    metrics: recordedMetrics(),
    tests,
  };
  writeFileSync(env.results, JSON.stringify(summary, null, 2));
  console.log(`${summary.passed} passed, ${summary.failed} failed`);
  if (summary.failed > 0) throw new Error(`${summary.failed} extension test(s) failed`);
}
