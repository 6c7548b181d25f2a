// A reference point, not a product: the smallest possible `/ws/tmux`-like proxy (a `ws` server piping a node-pty
// `tmux attach` both ways, no framework, no coalescing, no auth). Run as a child process by the echo benchmark,
// it shows how much of the server's extra latency over a direct PTY is simply the extra hop through a Node
// process and a WebSocket. Usage: node --import tsx bench/referenceProxy.ts <tmux socket>
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { type AddressInfo, WebSocketServer } from "ws";
import { onCleanup, withTimeout } from "./harness.js";
import { relayEnv, relayTmux } from "./tmuxRelay.js";

function serve(socket: string): void {
  const env = relayEnv();
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
  wss.on("listening", () => {
    process.stdout.write(
      `${JSON.stringify({ port: (wss.address() as AddressInfo).port, pid: process.pid })}\n`,
    );
  });
  wss.on("connection", (ws, req) => relayTmux(ws, req.url, socket, env));
}

export interface ReferenceProxy {
  port: number;
  child: ChildProcess;
}

/** Starts the proxy in its own process (as the real server is) on the workspace's tmux socket. */
export async function startReferenceProxy(socket: string): Promise<ReferenceProxy> {
  const child = spawn(process.execPath, ["--import", "tsx", join(__dirname, "referenceProxy.ts"), socket], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  onCleanup(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  const ready = new Promise<{ port: number }>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", (line) => resolve(JSON.parse(line)));
    child.once("exit", (code) => reject(new Error(`reference proxy exited with ${code}`)));
  });
  const { port } = await withTimeout(ready, 15_000, "reference proxy start");
  return { port, child };
}

if (require.main === module) serve(process.argv[2] ?? "");
