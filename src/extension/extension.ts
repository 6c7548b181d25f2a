// Entry point: activate() builds the Container (synchronously, nothing awaited: the server starts afterwards)
// and returns the test API (src/extension/testApi.ts); deactivate() disposes it, stopping the server this window
// started.
import type * as vscode from "vscode";
import { Container } from "./container.js";
import type { SentinelTestApi } from "./testApi.js";

let container: Container | undefined;

export function activate(context: vscode.ExtensionContext): SentinelTestApi {
  const started = performance.now();
  const cpu = process.cpuUsage();
  container = new Container(context, started);
  const api = container.testApi();
  container.metrics.activateMs = Math.round((performance.now() - started) * 10) / 10;
  const used = process.cpuUsage(cpu);
  container.metrics.activateCpuMs = Math.round((used.user + used.system) / 100) / 10;
  container.log.info(`activated in ${container.metrics.activateMs} ms`);
  return api;
}

export async function deactivate(): Promise<void> {
  const c = container;
  container = undefined;
  await c?.dispose();
}
