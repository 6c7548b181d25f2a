// What the test host (scripts/vscode-test/run.mjs) set up for this run, read from the workspace folder's
// .sentinel-test.json; helpers for the fixture tmux, polling and timing figures. Runs inside the extension host.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as vscode from "vscode";

/** publisher.name from package.json. */
export const EXTENSION_ID = "sentinel.sentinel-vscode";

export interface TestEnv {
  /** The run's temp dir (removed by the host afterwards). */
  root: string;
  /** The fixture tmux server's socket (`tmux -S`). */
  tmuxSocket: string;
  /** The data dir the extension's server is told to use. */
  dataDir: string;
  /** Where the runner writes its results for the host. */
  results: string;
  grep?: string;
  runId: string;
}

let cached: TestEnv | undefined;

export function testEnv(): TestEnv {
  if (cached) return cached;
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error("no workspace folder: the test host opens one");
  cached = JSON.parse(readFileSync(join(folder.uri.fsPath, ".sentinel-test.json"), "utf8")) as TestEnv;
  return cached;
}

/** Runs tmux against the fixture server. */
export function tmux(...args: string[]): Promise<string> {
  return tmuxOn(testEnv().tmuxSocket, ...args);
}

/** Runs tmux against the server of a private socket (`tmux -S socket -f /dev/null`). */
export function tmuxOn(socket: string, ...args: string[]): Promise<string> {
  const env = { ...process.env };
  delete env.TMUX;
  delete env.TMUX_PANE;
  return new Promise((resolve, reject) => {
    execFile("tmux", ["-S", socket, "-f", "/dev/null", ...args], { env }, (error, stdout, stderr) =>
      error ? reject(new Error(`tmux ${args.join(" ")}: ${stderr || error.message}`)) : resolve(stdout),
    );
  });
}

/** The screen of a pane (`capture-pane -p`), e.g. `=alpha:editor.0` or `%3`. */
export function capturePane(target: string): Promise<string> {
  return tmux("capture-pane", "-p", "-t", target);
}

/** Polls `check` until it returns a truthy value; the error names `what` and the last value seen. */
export async function waitFor<T>(
  check: () => Promise<T> | T,
  what: string,
  timeoutMs = 10_000,
  intervalMs = 25,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
      last = value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const detail = lastError
        ? `; last error: ${(lastError as Error).message}`
        : `; last value: ${String(last)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

export interface Metric {
  metric: string;
  value: number;
  unit: string;
  target?: string;
  pass?: boolean;
  [extra: string]: unknown;
}

const registry = globalThis as { __sentinelTestMetrics?: Metric[] };

/** Records a timing figure; the host prints it as a bench JSON line ({"bench":"vscode",…}). */
export function recordMetric(metric: Metric): void {
  registry.__sentinelTestMetrics ??= [];
  registry.__sentinelTestMetrics.push(metric);
  console.log(
    `metric ${metric.metric}: ${metric.value} ${metric.unit}${metric.target ? ` (target ${metric.target})` : ""}`,
  );
}

export function recordedMetrics(): Metric[] {
  return registry.__sentinelTestMetrics ?? [];
}
