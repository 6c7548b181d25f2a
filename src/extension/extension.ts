// Entry point: activate() builds the Container (synchronously, nothing awaited: the server starts afterwards);
// deactivate() disposes it, stopping the server this window started. activate() returns nothing, except to the
// test host of a test build, which gets the test API (src/extension/testApi.ts): no other extension can reach
// the server or the confirmations through us.
import type * as vscode from "vscode";
import { Container } from "./container.js";
import { createTestApi, isTestHost, type SentinelTestApi } from "./testApi.js";

let container: Container | undefined;

export function activate(context: vscode.ExtensionContext): SentinelTestApi | undefined {
  const started = performance.now();
  const cpu = process.cpuUsage();
  container = new Container(context, started);
  // `__SENTINEL_TEST__` is false in the production build: this branch and testApi.ts are not in it.
  const api = __SENTINEL_TEST__ && isTestHost(context) ? createTestApi(container) : undefined;
  const activateMs = Math.round((performance.now() - started) * 10) / 10;
  const used = process.cpuUsage(cpu);
  if (__SENTINEL_TEST__ && container.metrics) {
    container.metrics.activateMs = activateMs;
    container.metrics.activateCpuMs = Math.round((used.user + used.system) / 100) / 10;
  }
  container.log.info(`activated in ${activateMs} ms${api ? " (test host: test API returned)" : ""}`);
  return api;
}

export async function deactivate(): Promise<void> {
  const c = container;
  container = undefined;
  await c?.dispose();
}
