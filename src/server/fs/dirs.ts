// Directory completion for the "new session" folder picker (spec §1.1 `GET /api/fs/dirs`).
import type { Dirent } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { basename, dirname, isAbsolute, join } from "node:path";

export const DIRS_DEFAULT_LIMIT = 12;
export const DIRS_MAX_LIMIT = 64;

const INT64_MAX = 2n ** 63n - 1n;

/**
 * Parses `limit` like Go's `strconv.Atoi`: optional sign and decimal digits, within int64. Anything else, and
 * any value ≤ 0, is the default; values above the maximum are clamped.
 */
export function parseDirsLimit(raw: string | undefined): number {
  if (raw === undefined || !/^[+-]?\d+$/.test(raw)) return DIRS_DEFAULT_LIMIT;
  const n = BigInt(raw);
  if (n <= 0n || n > INT64_MAX) return DIRS_DEFAULT_LIMIT;
  return n > BigInt(DIRS_MAX_LIMIT) ? DIRS_MAX_LIMIT : Number(n);
}

/**
 * Resolves the prefix to an absolute path, keeping a trailing `/` (which means "list this directory").
 * Empty and `~` are the home directory, `~/x` is inside it; `~user`, relative paths and a missing home give
 * undefined (no results).
 */
export function expandPrefix(prefix: string, home: string): string | undefined {
  let path = prefix;
  if (path === "" || path === "~") path = "~/";
  if (path.startsWith("~/")) {
    if (!isAbsolute(home)) return undefined;
    path = `${home}/${path.slice(2)}`;
  } else if (path.startsWith("~")) {
    return undefined;
  }
  return isAbsolute(path) ? path : undefined;
}

/** Byte order of the UTF-8 encodings, like Go's string comparison. */
const compareBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

const knownNonDirectory = (e: Dirent) =>
  e.isFile() || e.isFIFO() || e.isSocket() || e.isCharacterDevice() || e.isBlockDevice();

/** A directory, or a symbolic link (or an entry of unknown type) that resolves to one. */
async function isDirectory(dir: string, entry: Dirent): Promise<boolean> {
  if (entry.isDirectory()) return true;
  if (knownNonDirectory(entry)) return false;
  try {
    return (await stat(join(dir, entry.name))).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Directories matching the prefix, hidden ones included: full paths sorted case-insensitively by name (then
 * by full path), at most `limit`. An unreadable or missing directory gives [].
 */
export async function listDirs(prefix: string, limit: number, home: string): Promise<string[]> {
  const expanded = expandPrefix(prefix, home);
  if (expanded === undefined) return [];
  const listAll = expanded.endsWith("/");
  const dir = listAll ? expanded : dirname(expanded);
  const start = listAll ? "" : basename(expanded).toLowerCase();
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const candidates = entries.filter((e) => e.name.toLowerCase().startsWith(start));
  const kept = await Promise.all(candidates.map(async (e) => ((await isDirectory(dir, e)) ? e.name : "")));
  return kept
    .filter(Boolean)
    .map((name) => ({ key: name.toLowerCase(), path: join(dir, name) }))
    .sort((a, b) => compareBytes(a.key, b.key) || compareBytes(a.path, b.path))
    .slice(0, Math.max(0, limit))
    .map((d) => d.path);
}
