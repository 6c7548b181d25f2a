// Loopback helpers for starting the peers: a free port to give them, and whether they listen yet.
import type { ChildProcess } from "node:child_process";
import { createServer, connect as tcpConnect } from "node:net";

/** A port free on 127.0.0.1 right now (the peer is told to listen on it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Resolves once `child` listens on `port`; rejects when it exits first or after `timeoutMs`, with its log. */
export async function waitListening(
  name: string,
  child: ChildProcess,
  port: number,
  timeoutMs: number,
  logTail: () => string,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await canConnect(port))) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(
        `${name} exited (${child.exitCode ?? child.signalCode}) before listening:\n${logTail()}`,
      );
    if (performance.now() > deadline)
      throw new Error(`${name} not listening in ${timeoutMs / 1000} s:\n${logTail()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
