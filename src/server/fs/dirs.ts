// Directory completion for the "new session" folder picker (spec §1.1 `GET /api/fs/dirs`).
import { readdir, stat } from "node:fs/promises";
import { basename, dirname, isAbsolute, join } from "node:path";

export const DIRS_DEFAULT_LIMIT = 12;
export const DIRS_MAX_LIMIT = 64;

export function parseDirsLimit(raw: string | undefined): number {
  const n = raw === undefined || raw.trim() === "" ? Number.NaN : Number(raw);
  if (!Number.isInteger(n) || n <= 0) return DIRS_DEFAULT_LIMIT;
  return Math.min(n, DIRS_MAX_LIMIT);
}

/** Resolves `~` and `~/x`; `~user` and relative paths yield undefined (no results). */
export function expandPrefix(prefix: string, home: string): string | undefined {
  if (prefix === "" || prefix === "~") return home ? `${home}/` : undefined;
  if (prefix.startsWith("~/"))
    return home ? join(home, prefix.slice(2)) + (prefix.endsWith("/") ? "/" : "") : undefined;
  if (prefix.startsWith("~")) return undefined;
  if (!isAbsolute(prefix)) return undefined;
  return prefix;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Directories matching the prefix: full paths, sorted case-insensitively by name, at most `limit`. */
export async function listDirs(prefix: string, limit: number, home: string): Promise<string[]> {
  const expanded = expandPrefix(prefix, home);
  if (expanded === undefined) return [];
  const listAll = expanded.endsWith("/");
  const dir = listAll ? expanded : dirname(expanded);
  const start = listAll ? "" : basename(expanded).toLowerCase();
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return [];
  }
  const candidates = entries.filter((name) => name.toLowerCase().startsWith(start));
  const checks = await Promise.all(
    candidates.map(async (name) => ((await isDirectory(join(dir, name))) ? name : "")),
  );
  return checks
    .filter(Boolean)
    .map((name) => ({ name, path: join(dir, name) }))
    .sort((a, b) => {
      const byName = a.name.toLowerCase().localeCompare(b.name.toLowerCase());
      return byName || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
    })
    .slice(0, limit)
    .map((d) => d.path);
}
