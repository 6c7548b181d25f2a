// A pane's tail (spec §4.1 step 4.1): the captured text normalised to its last 4 non-blank lines, and the hash
// that decides whether the pane changed.
import { createHash } from "node:crypto";

export const TAIL_LINES = 4;

/** Trim the whole text, split on `\n`, trim each line, drop empty lines, keep the last 4 joined with `\n`. */
export function normalizeTail(text: string): string {
  const lines: string[] = [];
  for (const raw of text.trim().split("\n")) {
    const line = raw.trim();
    if (line) lines.push(line);
  }
  return lines.slice(-TAIL_LINES).join("\n");
}

/** Hex of the first 8 bytes of SHA-256 of the normalised text (16 characters), or "" for an empty text. */
export function tailHash(normalized: string): string {
  if (!normalized) return "";
  return createHash("sha256").update(normalized).digest("hex").slice(0, 16);
}
