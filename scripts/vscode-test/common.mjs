// What the VS Code test host (run.mjs, code-shim.mjs) and the screenshot script share: a free port, the
// processes of a run (found by a marker in their environment) and their clean-up, Chromium's offline flags and
// the settings of a quiet, offline workbench.
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A TCP port free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/** Linux: pids (not ours) whose environment carries the run marker. */
export function markedPids(marker) {
  if (process.platform !== "linux") return [];
  const pids = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/environ`).includes(marker)) pids.push(pid);
    } catch {}
  }
  return pids;
}

/**
 * Ends every process of the run: first gives what was just told to stop (tmux kill-server, code-server's group)
 * 2 s to exit by itself, then SIGTERM, then SIGKILL for what is left 3 s later. `say` reports what it stops.
 */
export async function reap(marker, say) {
  let pids = markedPids(marker);
  for (let i = 0; i < 20 && pids.length; i++) {
    await sleep(100);
    pids = markedPids(marker);
  }
  if (!pids.length) return;
  const describe = (pid) => {
    try {
      return `${pid} ${readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim().slice(0, 120)}`;
    } catch {
      return String(pid);
    }
  };
  say(`stopping ${pids.length} leftover process(es):\n  ${pids.map(describe).join("\n  ")}`);
  for (const signal of ["SIGTERM", "SIGKILL"]) {
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch {}
    }
    for (let i = 0; i < 30 && pids.length; i++) {
      await sleep(100);
      pids = markedPids(marker);
    }
  }
}

/** Headless Chromium on a closed network: without the background-networking flags it dials out at every start. */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** User settings for a quiet, offline workbench: no telemetry, no AI agent host, no welcome page, no updates. */
export const OFFLINE_USER_SETTINGS = {
  "telemetry.telemetryLevel": "off",
  "chat.disableAIFeatures": true,
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "extensions.autoUpdate": false,
  "extensions.autoCheckUpdates": false,
  "extensions.ignoreRecommendations": true,
  "update.mode": "none",
  "git.enabled": false,
  "security.workspace.trust.enabled": false,
  "terminal.integrated.enablePersistentSessions": false,
};
