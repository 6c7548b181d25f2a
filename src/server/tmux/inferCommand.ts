// Infers the program a pane runs from its start or current command line (spec §1.2 `inferCommand`).

const RUNNERS = new Set(["npx", "bunx", "pnpm", "yarn", "env", "sudo", "exec"]);
const SCRIPT_EXT = /\.(js|ts|mjs|cjs|py|rb|pl)$/;

export function inferCommand(raw: string): string {
  let s = raw.trim();
  if (s.length >= 2 && (s[0] === '"' || s[0] === "'") && s.at(-1) === s[0]) s = s.slice(1, -1).trim();
  for (const token of s.split(/\s+/)) {
    if (!token || token.includes("=") || token.startsWith("-") || RUNNERS.has(token)) continue;
    const base = token.slice(token.lastIndexOf("/") + 1).toLowerCase();
    return base.replace(SCRIPT_EXT, "");
  }
  return "";
}
