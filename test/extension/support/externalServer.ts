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
import { EXTENSION_ID, testEnv } from "./env.js";

export interface ExternalServer {
  url: string;
  child: ChildProcess;
  dataDir: string;
}

/**
 * Starts the bundled server on port 0 with `token`, the data dir `<run>/<name>`, `tmuxSocket` (the fixture's) and
 * `settings` (environment variables of its settings, e.g. `SENTINEL_RECOVERY_ENABLED`).
 */
export async function externalServer(
  token: string,
  name: string,
  tmuxSocket = testEnv().tmuxSocket,
  settings: Record<string, string> = {},
): Promise<ExternalServer> {
  const dataDir = join(testEnv().root, name);
  mkdirSync(dataDir, { recursive: true });
  const script = join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, "dist", "server.js");
  const child = spawn(process.execPath, serveArgs({ script, port: 0, dataDir, tmuxSocket }), {
    env: { ...serverEnvironment(process.env, token), ...settings },
    stdio: ["ignore", "pipe", "ignore"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    const lines = new LineSplitter();
    const timer = setTimeout(
      () => reject(new Error("the external server did not start within 20 s")),
      20_000,
    );
    child.once("exit", (code) => reject(new Error(`the external server exited (${code})`)));
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

/** Stops it (SIGTERM, waiting for the exit) and removes its data dir. */
export async function stopExternalServer({ child, dataDir }: ExternalServer): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
}
