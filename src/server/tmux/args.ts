// What a tmux process is handed besides its subcommand: exact targets (`=name` for sessions, `=name:index` for
// windows, `%N` for panes), arguments tmux would otherwise cut at a trailing `;`, and the environment of its
// children (never the caller's tmux client identity; a small one for control clients).

export const sessionTarget = (name: string) => `=${name}`;
export const windowTarget = (session: string, index: number) => `=${session}:${index}`;
/**
 * `list-panes -s` reads its target as a window: `=name` alone falls back to a prefix match of session names
 * (tmux 3.3a), while `=name:` is exact.
 */
export const sessionScopeTarget = (name: string) => `=${name}:`;

/**
 * tmux reads an argument that ends in `;` as the end of a command (and drops the `;`): `rename-window x "a;"`
 * names it "a". Such an argument is passed as `…\;`, which tmux reads as a literal `;`; a lone `;` still
 * separates commands (`runSequence`).
 */
export function literalArg(arg: string): string {
  return arg.length > 1 && arg.endsWith(";") && !arg.endsWith("\\;") ? `${arg.slice(0, -1)}\\;` : arg;
}

/** Several tmux commands as the argv of one tmux process (`a ; b ; c`). */
export const sequenceArgs = (commands: string[][]): string[] =>
  commands.flatMap((c, i) => (i ? [";", ...c] : c));

/** Environment for tmux children: never inherit the caller's tmux client identity. */
export function tmuxEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env = { ...base };
  delete env.TMUX;
  delete env.TMUX_PANE;
  return env;
}

/** What a control client needs to find its server and read UTF-8; nothing else of this process's environment. */
const CONTROL_ENV_KEYS = [
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "LANG",
  "LC_ALL",
  "LC_CTYPE",
  "TMUX_TMPDIR",
  "TZ",
];

/**
 * The environment of a control client. Kept small on purpose: tmux 3.3a to 3.5a crash (a NULL control_state
 * in control_write, tmux PR #4980) when a notification reaches a control client between its identify flags
 * and the end of its identify messages, and the client sends one message per environment variable in that
 * window: a few variables instead of an editor's hundreds make the window as short as it can be.
 */
export function controlEnv(env: NodeJS.ProcessEnv, term?: string): NodeJS.ProcessEnv {
  const small: NodeJS.ProcessEnv = {};
  for (const key of CONTROL_ENV_KEYS) if (env[key] !== undefined) small[key] = env[key];
  small.TERM = term ?? env.TERM ?? "screen";
  return small;
}
