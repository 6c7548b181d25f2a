// A Sentinel server started by a test, as the server `sentinel.server.url` names (another host's, in real use):
// the bundled server on port 0 with its own token and data dir under the run's temp dir, on the fixture tmux or
// another tmux socket. Runs inside the extension host.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import * as vscode from "vscode";
import { serveArgs, serverEnvironment } from "../../../src/extension/server/serverEnv.js";
import { LineSplitter } from "../../../src/extension/server/serverOutput.js";
import { parseReadyLine } from "../../../src/protocol/runtime.js";
import { EXTENSION_ID, testEnv, waitFor } from "./env.js";
import type { SentinelTestApi } from "./sentinel.js";

export interface ExternalServer {
  url: string;
  child: ChildProcess;
  dataDir: string;
}

/**
 * Starts the bundled server on port 0 with `token`, the data dir `<run>/<name>`, `tmuxSocket` (the fixture's) and
 * `env`: more environment (its settings, e.g. `SENTINEL_RECOVERY_ENABLED`, or a clean `HOME`).
 */
export async function externalServer(
  token: string,
  name: string,
  tmuxSocket = testEnv().tmuxSocket,
  env: Record<string, string> = {},
): Promise<ExternalServer> {
  const dataDir = join(testEnv().root, name);
  mkdirSync(dataDir, { recursive: true });
  const script = join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, "dist", "server.js");
  const child = spawn(process.execPath, serveArgs({ script, port: 0, dataDir, tmuxSocket }), {
    env: serverEnvironment({ ...process.env, ...env }, token),
    stdio: ["ignore", "pipe", "ignore"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    const lines = new LineSplitter();
    const timer = setTimeout(
      () => reject(new Error(`the external server ${name} did not start within 20 s`)),
      20_000,
    );
    child.once("exit", (code) => reject(new Error(`the external server ${name} exited (${code})`)));
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (chunk: string) => {
      for (const line of lines.push(chunk)) {
        const ready = parseReadyLine(line);
        if (ready) {
          clearTimeout(timer);
          resolve(ready.url);
        }
      }
    });
  });
  return { url, child, dataDir };
}

/** Stops it (SIGTERM, SIGKILL after 5 s, waiting for the exit) and removes its data dir. */
export async function stopExternalServer({ child, dataDir }: ExternalServer): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    const hard = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(hard);
  }
  rmSync(dataDir, { recursive: true, force: true });
}

/** Disconnects the servers with these ids (origins) that the Servers view still lists, answering its question. */
export async function disconnectServers(api: SentinelTestApi, ids: Array<string | undefined>): Promise<void> {
  api.setConfirmAnswer(true);
  try {
    for (const id of ids)
      if (id && api.servers().some((r) => r.id === id))
        await vscode.commands.executeCommand("sentinel.disconnectServer", { id });
  } finally {
    api.setConfirmAnswer(undefined);
  }
}

/** Waits until the window's own server (the companion) is the running active server again. */
export function waitForOwnServer(api: SentinelTestApi): Promise<unknown> {
  return waitFor(
    () => api.state() === "running" && api.serverInfo().source !== "external",
    "the window's own server as the active server again",
    30_000,
  );
}

/** Connects to `url` with `token` (Connect to Server…) and waits until it is the running active server. */
export async function useServer(
  api: SentinelTestApi,
  url: string,
  name: string,
  token: string,
): Promise<void> {
  await vscode.commands.executeCommand("sentinel.connectServer", { url, name, token });
  await waitFor(
    () => api.state() === "running" && api.serverInfo().url === url,
    `${name} (${url}) as the running active server`,
    20_000,
  );
}
