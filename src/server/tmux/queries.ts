// The watchtower's reads of tmux (spec §4.1 steps 2–4): every session, window and pane in one call each, and
// pane captures. They run through any `TmuxRunner`: the CLI (`Tmux.run`, one process per call) or a
// control-mode client's command channel (no process at all).
import { TmuxError } from "./errors.js";
import {
  CLIENT_FIELDS,
  clientRows,
  format,
  int,
  PANE_FIELDS,
  paneRows,
  SEP,
  SESSION_FIELDS,
  sessionRows,
  type TmuxClient,
  type TmuxPane,
  type TmuxSession,
  type TmuxWindow,
  WINDOW_FIELDS,
  windowRows,
} from "./listing.js";

export type TmuxRunner = (args: string[], timeoutMs?: number) => Promise<string>;

export async function watchSessions(run: TmuxRunner): Promise<TmuxSession[]> {
  return sessionRows(await run(["list-sessions", "-F", format(SESSION_FIELDS)]));
}

export async function watchWindows(run: TmuxRunner): Promise<TmuxWindow[]> {
  return windowRows(await run(["list-windows", "-a", "-F", format(WINDOW_FIELDS)]));
}

export async function watchPanes(run: TmuxRunner): Promise<TmuxPane[]> {
  return paneRows(await run(["list-panes", "-a", "-F", format(PANE_FIELDS)]));
}

/** Every client's name (`client-<pid>` for one without a terminal), TERM and process id. */
export async function watchClients(run: TmuxRunner): Promise<TmuxClient[]> {
  return clientRows(await run(["list-clients", "-F", format(CLIENT_FIELDS)]));
}

export interface WatchListing {
  /** The tmux server's process id (`#{pid}`); undefined when it has no sessions to ask. */
  serverPid: number | undefined;
  /** `<pid>:<start_time>` of the server (recovery tells one server from the next by it); "" with no session. */
  server: string;
  sessions: TmuxSession[];
  windows: TmuxWindow[];
  panes: TmuxPane[];
  clients: TmuxClient[];
}

/** Row tags of the one-call listing: each `-F` format starts with its list's letter. */
const TAGS = { session: "S", window: "W", pane: "P", client: "C" } as const;

/** Panes to capture in the listing's own call (`watchListing`), each only if tmux says its window had output. */
export interface ListingCaptures {
  /** Pane ids from the last listing (one gone since then is skipped, never an error). */
  panes: readonly string[];
  /** Capture only panes whose window had output at or after this epoch second; undefined: every pane. */
  activeSince: number | undefined;
  lines: number;
  /** Random per process: marks where each pane's capture starts. */
  nonce: string;
}

/**
 * Sessions, windows, panes and clients in ONE tmux call (commands chained with `;`), each row tagged with its
 * list's letter: one process instead of four where each call is a process (the CLI). With `captures`, the same
 * call also captures those panes whose window had output since `activeSince`: tmux decides with a format
 * condition (`if-shell -F`), so finding out what changed and reading it costs one process, not two.
 */
export async function watchListing(
  run: TmuxRunner,
  timeoutMs?: number,
  captures?: ListingCaptures,
): Promise<WatchListing & { captures: Map<string, string> }> {
  const tagged = (tag: string, fields: string[]) => `${tag}${SEP}#{pid}:#{start_time}${SEP}${format(fields)}`;
  const args = [
    "list-sessions",
    "-F",
    tagged(TAGS.session, SESSION_FIELDS),
    ";",
    "list-windows",
    "-a",
    "-F",
    tagged(TAGS.window, WINDOW_FIELDS),
    ";",
    "list-panes",
    "-a",
    "-F",
    tagged(TAGS.pane, PANE_FIELDS),
    ";",
    "list-clients",
    "-F",
    tagged(TAGS.client, CLIENT_FIELDS),
  ];
  if (captures) {
    const active =
      captures.activeSince === undefined ? undefined : `#{e|>=:#{window_activity},${captures.activeSince}}`;
    args.push(";", ...captureChain(captures.panes, captures.lines, captures.nonce, active));
  }
  let out: string;
  try {
    out = await run(args, timeoutMs);
  } catch (error) {
    // A running tmux server without sessions (exit-empty off) answers list-windows, list-panes and list-clients
    // with "no current target": if it really has no session, that is an empty listing.
    if (!(error instanceof TmuxError) || error.code !== "SESSION_NOT_FOUND") throw error;
    if ((await run(["list-sessions", "-F", "#{session_name}"], timeoutMs)).trim()) throw error;
    return {
      serverPid: undefined,
      server: "",
      sessions: [],
      windows: [],
      panes: [],
      clients: [],
      captures: new Map(),
    };
  }
  const first = captures ? out.indexOf(captureMark(captures.nonce)) : -1;
  const listingText = first < 0 ? out : out.slice(0, first);
  const captured = first < 0 ? new Map<string, string>() : parseCaptures(out.slice(first), captures!.nonce);
  const byTag = new Map<string, string[]>();
  let server = "";
  for (const line of listingText.split("\n")) {
    const tag = line[0];
    if (!tag || line[1] !== SEP) continue;
    const rest = line.slice(2);
    const cut = rest.indexOf(SEP);
    if (cut < 0) continue;
    server ||= rest.slice(0, cut);
    const list = byTag.get(tag) ?? [];
    list.push(rest.slice(cut + 1));
    byTag.set(tag, list);
  }
  const text = (tag: string) => (byTag.get(tag) ?? []).join("\n");
  return {
    serverPid: int(server.split(":")[0]) || undefined,
    server,
    sessions: sessionRows(text(TAGS.session)),
    windows: windowRows(text(TAGS.window)),
    panes: paneRows(text(TAGS.pane)),
    clients: clientRows(text(TAGS.client)),
    captures: captured,
  };
}

const captureMark = (nonce: string) => `SENTINEL-${nonce}-`;

/**
 * tmux commands (joined by `;`) that capture each pane, preceded by a marker line naming it, and only if the pane
 * still exists and `condition` (a format, e.g. on `#{window_activity}`) holds: `if-shell -F -t %N` falls back to
 * another pane's context for a pane that is gone, so the condition checks the pane id too, and a gone pane is
 * skipped instead of failing the whole chain. The marker names the pane by its number: display-message passes
 * its text through strftime, where `%3` is a conversion.
 */
function captureChain(
  paneIds: readonly string[],
  lines: number,
  nonce: string,
  condition?: string,
): string[] {
  const args: string[] = [];
  for (const id of paneIds) {
    if (!/^%\d+$/.test(id)) continue;
    const cond = `#{==:#{pane_id},${id}}`;
    if (args.length) args.push(";");
    args.push(
      "if-shell",
      "-F",
      "-t",
      id,
      condition ? `#{&&:${cond},${condition}}` : cond,
      `display-message -p -t ${id} ${captureMark(nonce)}${id.slice(1)} ; capture-pane -p -t ${id} -S ${-Math.abs(lines)}`,
    );
  }
  return args;
}

/** The captures in `text`, which starts at the first marker of `captureChain`'s output. */
function parseCaptures(text: string, nonce: string): Map<string, string> {
  const mark = captureMark(nonce);
  const out = new Map<string, string>();
  const parts = text.slice(mark.length).split(`\n${mark}`);
  parts.forEach((part, i) => {
    const nl = part.indexOf("\n");
    if (nl < 0) return;
    // The split took the newline that ended every part but the last.
    out.set(`%${part.slice(0, nl)}`, part.slice(nl + 1) + (i < parts.length - 1 ? "\n" : ""));
  });
  return out;
}

/** Captures several panes in ONE tmux call (`captureChain`); a pane gone since is missing from the result. */
export async function capturePanes(
  run: TmuxRunner,
  paneIds: readonly string[],
  lines: number,
  nonce: string,
  timeoutMs?: number,
): Promise<Map<string, string>> {
  const args = captureChain(paneIds, lines, nonce);
  if (!args.length) return new Map();
  const text = await run(args, timeoutMs);
  const first = text.indexOf(captureMark(nonce));
  return first < 0 ? new Map() : parseCaptures(text.slice(first), nonce);
}

/** The pane's last `lines` lines of history and its visible screen, as plain text. */
export function capturePane(
  run: TmuxRunner,
  paneId: string,
  lines: number,
  timeoutMs?: number,
): Promise<string> {
  if (!/^%\d+$/.test(paneId)) return Promise.reject(new TmuxError("PANE_NOT_FOUND", "pane not found"));
  return run(["capture-pane", "-p", "-t", paneId, "-S", String(-Math.abs(lines))], timeoutMs);
}

/** Whether a failure means "no tmux to ask" (spec §4.1 step 2: keep the projections, count it a success). */
export function isTmuxAbsent(error: unknown): boolean {
  return (
    error instanceof TmuxError &&
    (error.code === "TMUX_SERVER_NOT_RUNNING" || error.code === "TMUX_NOT_FOUND")
  );
}
