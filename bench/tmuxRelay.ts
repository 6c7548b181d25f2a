// The relay of the bench's two reference points (./referenceProxy.ts, the naive relay; ./stackFloor.ts, the same on
// the server's stack): per WebSocket, a `tmux attach` in a PTY, its bytes forwarded both ways at once. Nothing else
// here: the stack floor's bundle holds this module.
import { spawn as spawnPty } from "@lydell/node-pty";
import type { WebSocket } from "ws";

/** The environment of the relays' tmux clients: this process's, outside any tmux. */
export function relayEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  delete env.TMUX;
  delete env.TMUX_PANE;
  return env;
}

/** Relays `ws` (whose request asked for `/…?session=&cols=&rows=`) to a new client of the tmux at `socket`. */
export function relayTmux(
  ws: WebSocket,
  requestUrl: string | undefined,
  socket: string,
  env: Record<string, string>,
): string {
  const url = new URL(requestUrl ?? "/", "http://localhost");
  const session = url.searchParams.get("session") ?? "";
  ws.send(JSON.stringify({ type: "status", state: "attached", session }));
  const pty = spawnPty("tmux", ["-S", socket, "attach-session", "-t", `=${session}`], {
    name: "xterm-256color",
    cols: Number(url.searchParams.get("cols") ?? 120),
    rows: Number(url.searchParams.get("rows") ?? 40),
    env,
    encoding: null,
  });
  pty.onData((chunk) => ws.send(chunk as unknown as Buffer, { binary: true }));
  pty.onExit(() => ws.close(1000, "done"));
  ws.on("message", (data, isBinary) => {
    if (isBinary) pty.write(data as unknown as string);
  });
  ws.on("close", () => pty.kill("SIGKILL"));
  return session;
}
