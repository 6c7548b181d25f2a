// The tmux side of a collect: one listing (sessions, windows, panes, clients, and inline captures), the captures
// of panes it did not capture, and the snapshot the collector projects from them (./collector.ts).
import type { FastifyBaseLogger } from "fastify";
import type { TmuxPane, TmuxSession, TmuxWindow } from "../tmux/listing.js";
import {
  capturePane,
  capturePanes,
  type ListingCaptures,
  type TmuxRunner,
  watchClients,
  watchListing,
  watchPanes,
  watchSessions,
  watchWindows,
} from "../tmux/queries.js";
import type { Snapshot } from "./collector.js";
import { MONITOR_TERM_PREFIX, removeOrphans } from "./monitors.js";
import type { LivePane, LiveSession, LiveWindow } from "./project.js";
import { isoFromEpochSeconds } from "./time.js";

/** Per capture over a control client (pipelined on one connection). */
const CONTROL_TIMEOUT_MS = 3000;

export interface Listing {
  serverPid: number | undefined;
  /** `<pid>:<start_time>` of the server ("" with no session); undefined when the listing did not say (control). */
  server: string | undefined;
  sessions: TmuxSession[];
  windows: TmuxWindow[];
  panes: TmuxPane[];
  /** Control clients of this server's and any other Sentinel server's watchtower (not attached users). */
  watchtowerClients: Set<string>;
  captures: Map<string, string>;
}

/** One listing: in one call where each call is a process (`cli`), else four pipelined on the control client. */
export async function listTmux(
  run: TmuxRunner,
  cli: boolean,
  log: FastifyBaseLogger,
  captures?: ListingCaptures,
): Promise<Listing> {
  const { serverPid, server, sessions, windows, panes, clients, ...rest } = cli
    ? await watchListing(run, undefined, captures)
    : await Promise.all([watchSessions(run), watchWindows(run), watchPanes(run), watchClients(run)]).then(
        ([sessions, windows, panes, clients]) => ({
          serverPid: undefined,
          server: undefined,
          sessions,
          windows,
          panes,
          clients,
          captures: new Map<string, string>(),
        }),
      );
  const watchtower = clients.filter((c) => c.term.startsWith(MONITOR_TERM_PREFIX));
  const orphans = removeOrphans(watchtower);
  if (orphans) log.warn({ orphans }, "watchtower: removed control clients left by a server that died");
  return {
    serverPid,
    server,
    sessions,
    windows,
    panes,
    watchtowerClients: new Set(watchtower.map((c) => c.name)),
    captures: rest.captures,
  };
}

/**
 * Captures `paneIds` into `into`: through the CLI in one tmux process (a pane gone since the listing is skipped),
 * one by one only if that call fails; over a control client pipelined.
 */
export async function captureInto(
  run: TmuxRunner,
  cli: boolean,
  paneIds: string[],
  into: Map<string, string>,
  options: { lines: number; timeoutMs: number; nonce: string },
): Promise<void> {
  const { lines } = options;
  if (cli) {
    // One tmux process for all of them (a pane gone since the listing is skipped); only if that call fails
    // (a time-out) one by one.
    try {
      const timeout = options.timeoutMs + 20 * paneIds.length;
      for (const [id, text] of await capturePanes(run, paneIds, lines, options.nonce, timeout))
        into.set(id, text);
      return;
    } catch {
      // one by one below
    }
  }
  // Over the control channel the captures are pipelined on one connection; through the CLI each is a process
  // with its own timeout, a few at a time.
  const timeout = cli ? options.timeoutMs : CONTROL_TIMEOUT_MS;
  const width = cli ? 8 : paneIds.length;
  for (let i = 0; i < paneIds.length; i += Math.max(1, width)) {
    const batch = paneIds.slice(i, i + Math.max(1, width));
    const texts = await Promise.all(
      batch.map((id) => capturePane(run, id, lines, timeout).catch(() => undefined)),
    );
    batch.forEach((id, j) => {
      const text = texts[j];
      if (text !== undefined) into.set(id, text);
    });
  }
}

/** What tmux listed, as the collector's snapshot; `own`: control clients that do not count as attached. */
export function toSnapshot(
  listing: { sessions: TmuxSession[]; windows: TmuxWindow[]; panes: TmuxPane[] },
  own: Set<string>,
): Snapshot {
  const sessions: LiveSession[] = listing.sessions.map((s) => ({
    name: s.name,
    windows: s.windows,
    attached: s.attachedClients.length
      ? s.attachedClients.filter((c) => !own.has(c)).length
      : Math.max(0, s.attached),
    createdAt: isoFromEpochSeconds(s.createdAt),
    activityAt: isoFromEpochSeconds(s.activityAt),
  }));
  const names = new Set(sessions.map((s) => s.name));
  const windows = new Map<string, LiveWindow[]>();
  for (const w of listing.windows) {
    if (!names.has(w.session)) continue;
    const list = windows.get(w.session) ?? [];
    list.push({ index: w.index, name: w.name, active: w.active, layout: w.layout });
    windows.set(w.session, list);
  }
  // A window linked into several sessions lists its panes once per session; a pane id is projected once, in
  // the first session that lists it.
  const seen = new Set<string>();
  const panes = new Map<string, LivePane[]>();
  for (const p of listing.panes) {
    if (!names.has(p.session) || seen.has(p.paneId)) continue;
    seen.add(p.paneId);
    const list = panes.get(p.session) ?? [];
    list.push({
      paneId: p.paneId,
      windowIndex: p.windowIndex,
      paneIndex: p.paneIndex,
      title: p.title,
      active: p.active,
      tty: p.tty,
      currentPath: p.currentPath,
      startCommand: p.startCommand,
      currentCommand: p.currentCommand,
    });
    panes.set(p.session, list);
  }
  return { sessions, windows, panes };
}

/** What tmux showed of a session: equal signatures mean nothing to project. */
export function signatureOf(s: LiveSession, windows: LiveWindow[], panes: LivePane[]): string {
  return JSON.stringify([s, windows, panes]);
}

export function sessionOfPane(snapshot: Snapshot, paneId: string): string | undefined {
  for (const [session, panes] of snapshot.panes) if (panes.some((p) => p.paneId === paneId)) return session;
  return undefined;
}
