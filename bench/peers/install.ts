// The peers (WeTTY, VibeTunnel) measured beside ours in the same run (issue 17: the README's table puts our figures beside theirs).
// They are bench-only: scripts/bench-peers.mjs installs each into a cache outside the repo on first use (from the
// npm registry) and the benches load them from there. On by default; `npm run bench -- --no-peers` or
// SENTINEL_BENCH_PEERS=0 leaves them out. A peer that cannot be installed or run is reported as one
// `peer_skipped` JSON line with the reason, never a failure of the bench.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { emit, progress, ROOT } from "../harness.js";

export type PeerName = "wetty" | "vibetunnel";

export interface PeerInstall {
  peer: PeerName;
  version: string;
  /** The cache dir holding its node_modules. */
  dir: string;
  /** Its entry point, run with node. */
  main: string;
}

let enabled = !["0", "false", "no"].includes((process.env.SENTINEL_BENCH_PEERS ?? "").toLowerCase());

/** Turns the peers off for this run (`--no-peers`). */
export function disablePeers(): void {
  enabled = false;
}

const installs = new Map<PeerName, Promise<PeerInstall | { reason: string }>>();

function install(peer: PeerName): Promise<PeerInstall | { reason: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, "scripts", "bench-peers.mjs"), peer],
      {
        env: { ...process.env, npm_config_nodedir: process.env.npm_config_nodedir || "/usr" },
        timeout: 900_000,
      },
      (error, stdout, stderr) => {
        const line = stdout.trim().split("\n").pop() ?? "";
        try {
          const parsed = JSON.parse(line) as (PeerInstall & { skipped?: undefined }) | { reason: string };
          resolve(parsed);
        } catch {
          resolve({
            reason: `bench-peers.mjs: ${error?.message ?? "no result"} ${stderr.slice(-500)}`.trim(),
          });
        }
      },
    );
  });
}

/**
 * The peer's install (installing it on first use in this run), or undefined after a `peer_skipped` line for
 * `bench` when peers are off or the install failed.
 */
export async function peer(name: PeerName, bench: string): Promise<PeerInstall | undefined> {
  if (!enabled) return undefined;
  let pending = installs.get(name);
  if (!pending) {
    progress(`peers: preparing ${name} (node scripts/bench-peers.mjs ${name})`);
    pending = install(name);
    installs.set(name, pending);
  }
  const result = await pending;
  if ("main" in result) return result;
  skipPeer(name, bench, result.reason);
  return undefined;
}

/** Reports a peer left out of `bench`, with the reason. */
export function skipPeer(name: PeerName, bench: string, reason: string): void {
  progress(`${bench}: ${name} skipped: ${reason}`);
  emit({ bench, metric: "peer_skipped", value: Number.NaN, unit: "", peer: name, reason });
}
