// Which tmux calls only read: the ones the query shell may start (./process.ts `query`, ADR 0022). Checked per
// command of a `;` chain, the commands inside `if-shell -F` included, against a short list; anything else (or
// anything this check cannot read) is not read-only, and runs the ordinary way.

/** Commands that change nothing in tmux (with the flags required below). */
const LISTINGS = new Set(["list-sessions", "list-windows", "list-panes", "list-clients", "has-session"]);
/** Print to stdout with `-p`; without it they would show on a client or fill a buffer. */
const PRINTING = new Set(["display-message", "capture-pane"]);

/** Whether every command of `args` (one tmux argv after the global flags, `;`-chained) only reads. */
export function readOnlyCall(args: readonly string[]): boolean {
  const commands: string[][] = [[]];
  for (const arg of args) {
    if (arg === ";") commands.push([]);
    else commands[commands.length - 1]!.push(arg);
  }
  return commands.every(readOnlyCommand);
}

function readOnlyCommand(argv: readonly string[]): boolean {
  const [name, ...rest] = argv;
  if (name === undefined) return false;
  if (LISTINGS.has(name)) return true;
  if (PRINTING.has(name)) return rest.includes("-p");
  if (name === "if-shell") return readOnlyCondition(rest);
  return false;
}

/**
 * `if-shell -F [-t target] condition command [command]`: `-F` makes the condition a format (no shell runs); the
 * commands are tmux command strings, read here by whitespace (the ones the watchtower builds hold no quoting).
 */
function readOnlyCondition(rest: readonly string[]): boolean {
  let i = 0;
  let format = false;
  for (; i < rest.length && rest[i]!.startsWith("-"); i++) {
    const flag = rest[i]!;
    if (flag === "-F") format = true;
    else if (flag === "-t") i++;
    else return false;
  }
  const commands = rest.slice(i + 1);
  if (!format || commands.length < 1 || commands.length > 2) return false;
  return commands.every((text) => !/["'\\{}]/.test(text) && readOnlyCall(text.split(/\s+/).filter(Boolean)));
}
