// The peers a benchmark measures beside ours, started the same way whatever they are: each serves the
// workspace's tmux and hands out clients attached to a session (its own `tmux attach` per client, in a PTY the
// peer owns, as the naive relay does).
import type { Term } from "../clients.js";
import type { Workspace } from "../harness.js";
import { type PeerName, peer, skipPeer } from "./install.js";
import { startVibeTunnel, VibeTunnelTerm } from "./vibetunnel.js";
import { startWetty, WettyTerm, wettyUnsupported } from "./wetty.js";

export const PEER_NAMES: readonly PeerName[] = ["wetty", "vibetunnel"];

export interface PeerServer {
  name: PeerName;
  /** The peer's server process (for its CPU and RSS). */
  pid: number;
  /** A new client attached to the session this peer serves in the benchmark. */
  connect(): Promise<Term>;
  stop(): Promise<void>;
}

/**
 * The peers for `bench`, each serving `sessionOf(name)` (which may be created later: they attach per client).
 * A peer that is off, cannot be installed or does not start here is left out after a `peer_skipped` line.
 */
export async function startPeers(
  work: Workspace,
  bench: string,
  sessionOf: (name: PeerName) => string,
): Promise<PeerServer[]> {
  const started: PeerServer[] = [];
  for (const name of PEER_NAMES) {
    const install = await peer(name, bench);
    if (!install) continue;
    const session = sessionOf(name);
    try {
      if (name === "wetty") {
        const problem = wettyUnsupported(work);
        if (problem) {
          skipPeer(name, bench, problem);
          continue;
        }
        const server = await startWetty(install, work, session);
        started.push({ name, pid: server.pid, connect: () => WettyTerm.connect(server), stop: server.stop });
      } else {
        const server = await startVibeTunnel(install, work);
        started.push({
          name,
          pid: server.pid,
          connect: () => VibeTunnelTerm.connect(server, work, session),
          stop: server.stop,
        });
      }
    } catch (error) {
      skipPeer(name, bench, (error as Error).message);
    }
  }
  return started;
}
