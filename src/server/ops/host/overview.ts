// The ops overview (spec §1.6): host identity, uptime and load, this server's own figures, and the service
// counts (zero, with `available: false` and the reason, where no service manager runs).
import { readFile, stat } from "node:fs/promises";
import { arch, cpus, hostname, release, type } from "node:os";
import { rfc3339Seconds } from "../../../protocol/events.js";
import type { Overview, ServiceStatus } from "../../../protocol/ops.js";
import { parseOsRelease, parseUptime } from "./procfs.js";

export interface OverviewSources {
  version: string;
  /** The SQLite file whose size (with its -wal) is reported. */
  databasePath: string;
  eventSubscribers(): number;
  loadAvg(): Promise<[number, number, number]>;
  services(): Promise<ServiceStatus[] | undefined>;
  servicesReason(): string;
  procDir?: string;
  osReleasePath?: string;
}

/** Go's GOARCH names for Node's `os.arch()`. */
export function goArch(nodeArch: string): string {
  const map: Record<string, string> = { x64: "amd64", ia32: "386", arm: "arm", arm64: "arm64" };
  return map[nodeArch] ?? nodeArch;
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch {
    return undefined;
  }
}

export class OverviewBuilder {
  private osName: string | undefined;

  constructor(private readonly sources: OverviewSources) {}

  async build(): Promise<Overview> {
    const s = this.sources;
    const [services, loadAvg, uptimeText, dbBytes, walBytes] = await Promise.all([
      s.services(),
      s.loadAvg(),
      readText(`${s.procDir ?? "/proc"}/uptime`),
      fileSize(s.databasePath),
      fileSize(`${s.databasePath}-wal`),
    ]);
    this.osName ??= parseOsRelease((await readText(s.osReleasePath ?? "/etc/os-release")) ?? "") ?? type();
    const memory = process.memoryUsage();
    const list = services ?? [];
    return {
      host: {
        hostname: hostname(),
        os: process.platform,
        arch: goArch(arch()),
        cpus: cpus().length,
        goVersion: process.version,
        kernel: release(),
        osName: this.osName,
        uptimeSec: (uptimeText !== undefined ? parseUptime(uptimeText) : undefined) ?? -1,
        loadAvg,
      },
      sentinel: {
        pid: process.pid,
        uptimeSec: Math.floor(process.uptime()),
        version: s.version,
        rssBytes: memory.rss,
        heapUsedBytes: memory.heapUsed,
        eventSubscribers: s.eventSubscribers(),
        databaseBytes: dbBytes + walBytes,
      },
      services: {
        total: list.length,
        active: list.filter((x) => x.activeState === "active" || x.activeState === "running").length,
        failed: list.filter((x) => x.activeState === "failed").length,
        available: services !== undefined,
        reason: services !== undefined ? "" : s.servicesReason(),
      },
      updatedAt: rfc3339Seconds(),
    };
  }
}
