// Host metrics (spec §1.6): CPU from two reads of /proc/stat 100 ms apart, memory from /proc/meminfo, load from
// /proc/loadavg, disk from statfs("/"), and this process's own figures under the Go runtime's keys.
import { readFile, statfs } from "node:fs/promises";
import { rfc3339Seconds } from "../../../protocol/events.js";
import type { HostMetrics } from "../../../protocol/ops.js";
import {
  type CpuTimes,
  cpuPercent,
  diskUsage,
  parseLoadavg,
  parseMeminfo,
  parseProcStat,
  percentOf,
  round1,
} from "./procfs.js";

export interface MetricsSources {
  /** Where /proc is (tests point it elsewhere). */
  procDir?: string;
  /** The filesystem whose usage is reported. */
  diskPath?: string;
  /** The gap between the two /proc/stat reads (100 ms). */
  cpuSampleMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch {
    return undefined;
  }
}

/** Active handles keeping the event loop busy: what "goroutines" means for this process. */
function activeHandles(): number {
  const info = (process as unknown as { getActiveResourcesInfo?: () => string[] }).getActiveResourcesInfo;
  return typeof info === "function" ? info.call(process).length : 0;
}

export class MetricsCollector {
  private readonly procDir: string;
  private readonly diskPath: string;
  private readonly cpuSampleMs: number;

  constructor(sources: MetricsSources = {}) {
    this.procDir = sources.procDir ?? "/proc";
    this.diskPath = sources.diskPath ?? "/";
    this.cpuSampleMs = sources.cpuSampleMs ?? 100;
  }

  private async cpuTimes(): Promise<CpuTimes | undefined> {
    const text = await readText(`${this.procDir}/stat`);
    return text === undefined ? undefined : parseProcStat(text);
  }

  /** -1 when /proc/stat cannot be read (§1.6). */
  async cpuPercent(): Promise<number> {
    const before = await this.cpuTimes();
    if (!before) return -1;
    await sleep(this.cpuSampleMs);
    const after = await this.cpuTimes();
    return after ? cpuPercent(before, after) : -1;
  }

  async loadAvg(): Promise<[number, number, number]> {
    const text = await readText(`${this.procDir}/loadavg`);
    return (text !== undefined ? parseLoadavg(text) : undefined) ?? [-1, -1, -1];
  }

  async collect(): Promise<HostMetrics> {
    const [cpu, memText, load, disk] = await Promise.all([
      this.cpuPercent(),
      readText(`${this.procDir}/meminfo`),
      this.loadAvg(),
      statfs(this.diskPath).then(
        (s) => diskUsage({ bsize: Number(s.bsize), blocks: Number(s.blocks), bavail: Number(s.bavail) }),
        () => ({ totalBytes: 0, usedBytes: 0 }),
      ),
    ]);
    const mem = (memText !== undefined ? parseMeminfo(memText) : undefined) ?? {
      totalBytes: 0,
      usedBytes: 0,
    };
    return {
      cpuPercent: cpu,
      memUsedBytes: mem.usedBytes,
      memTotalBytes: mem.totalBytes,
      memPercent: percentOf(mem.usedBytes, mem.totalBytes),
      diskUsedBytes: disk.usedBytes,
      diskTotalBytes: disk.totalBytes,
      diskPercent: percentOf(disk.usedBytes, disk.totalBytes),
      loadAvg1: load[0],
      loadAvg5: load[1],
      loadAvg15: load[2],
      numGoroutines: activeHandles(),
      goMemAllocMB: round1(process.memoryUsage().heapUsed / (1024 * 1024)),
      collectedAt: rfc3339Seconds(),
    };
  }
}
