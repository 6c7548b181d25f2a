// Pure parsers of the kernel's own figures (spec §1.6 Linux sources): /proc/stat, /proc/meminfo, /proc/loadavg,
// /proc/uptime, /etc/os-release, and the arithmetic on statfs. No I/O here, so each is unit-tested on text.

export interface CpuTimes {
  /** Sum of every field of the `cpu ` line. */
  total: number;
  /** The 4th field (idle). */
  idle: number;
}

/** The aggregate `cpu ` line of /proc/stat; undefined when absent or malformed. */
export function parseProcStat(text: string): CpuTimes | undefined {
  const line = text.split("\n").find((l) => l.startsWith("cpu "));
  if (!line) return undefined;
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  if (fields.length < 4 || fields.some((n) => !Number.isFinite(n) || n < 0)) return undefined;
  return { total: fields.reduce((a, b) => a + b, 0), idle: fields[3]! };
}

/** `(Δtotal − Δidle) / Δtotal × 100`, 0 when Δtotal ≤ 0 (§1.6), one decimal. */
export function cpuPercent(before: CpuTimes, after: CpuTimes): number {
  const total = after.total - before.total;
  if (total <= 0) return 0;
  const busy = total - (after.idle - before.idle);
  return round1(Math.min(100, Math.max(0, (busy / total) * 100)));
}

export interface MemInfo {
  totalBytes: number;
  usedBytes: number;
}

/** /proc/meminfo: used = MemTotal − MemAvailable, else MemTotal − (MemFree + Buffers + Cached), floored at 0. */
export function parseMeminfo(text: string): MemInfo | undefined {
  const kb = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^(\w+(?:\(\w+\))?):\s+(\d+)(?:\s+kB)?\s*$/.exec(line.trim());
    if (m) kb.set(m[1]!, Number(m[2]) * 1024);
  }
  const total = kb.get("MemTotal");
  if (total === undefined) return undefined;
  const available = kb.get("MemAvailable");
  const used =
    available !== undefined
      ? total - available
      : total - ((kb.get("MemFree") ?? 0) + (kb.get("Buffers") ?? 0) + (kb.get("Cached") ?? 0));
  return { totalBytes: total, usedBytes: Math.max(0, used) };
}

/** /proc/loadavg's first three fields; undefined when malformed. */
export function parseLoadavg(text: string): [number, number, number] | undefined {
  const f = text.trim().split(/\s+/).slice(0, 3).map(Number);
  if (f.length < 3 || f.some((n) => !Number.isFinite(n) || n < 0)) return undefined;
  return [f[0]!, f[1]!, f[2]!];
}

/** /proc/uptime's first field, in whole seconds; undefined when malformed. */
export function parseUptime(text: string): number | undefined {
  const n = Number(text.trim().split(/\s+/)[0]);
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : undefined;
}

/** `PRETTY_NAME` of /etc/os-release (then `NAME VERSION_ID`); undefined when neither is there. */
export function parseOsRelease(text: string): string | undefined {
  const values = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2]!.trim();
    if (v.length >= 2 && (v[0] === '"' || v[0] === "'") && v.at(-1) === v[0]) v = v.slice(1, -1);
    values.set(m[1]!, v.replace(/\\(["'$`\\])/g, "$1"));
  }
  const pretty = values.get("PRETTY_NAME");
  if (pretty) return pretty;
  const name = values.get("NAME");
  if (!name) return undefined;
  const version = values.get("VERSION_ID");
  return version ? `${name} ${version}` : name;
}

export interface DiskUsage {
  totalBytes: number;
  usedBytes: number;
}

/** statfs arithmetic (§1.6): total = blocks × bsize; used = total − bavail × bsize (floored at 0). */
export function diskUsage(s: { bsize: number; blocks: number; bavail: number }): DiskUsage {
  const total = s.blocks * s.bsize;
  return { totalBytes: total, usedBytes: Math.max(0, total - s.bavail * s.bsize) };
}

/** `used / total × 100`, one decimal, 0 when total is 0. */
export function percentOf(used: number, total: number): number {
  return total > 0 ? round1((used / total) * 100) : 0;
}

export const round1 = (n: number) => Math.round(n * 10) / 10;
