// The servers the extension knows (ADR 0019): the companion it starts, the external servers of the setting
// `sentinel.servers` ({ name, url } each; their tokens are in SecretStorage per origin, serverTokens.ts, never in
// settings) and, for compatibility, `sentinel.server.url`. One of them is the active server, which the Sessions,
// Recordings, Events, Ops and Recovery views follow. An external server's id is its URL's origin: the token is
// kept per origin, so two entries of one origin would share it; the first one wins. No `vscode` import.
import { serverOrigin } from "../util/origin.js";

/** The companion server's id (an external server's id is its origin, which always has "://"). */
export const COMPANION_ID = "companion";

export interface ServerEntry {
  id: string;
  name: string;
  /** The external server's URL (no trailing slash); undefined for the companion. */
  url: string | undefined;
  /** Where the entry comes from: the companion, `sentinel.servers`, or `sentinel.server.url`. */
  source: "companion" | "servers" | "server.url";
}

export interface ServerSetting {
  name: string;
  url: string;
}

/** `url` without surrounding spaces and trailing slashes. */
export function cleanUrl(url: string): string {
  return url.trim().replace(/\/+$/, "");
}

/** A name for a server from its URL: its host and port. */
export function defaultServerName(url: string): string {
  try {
    return new URL(url).host || url;
  } catch {
    return url;
  }
}

/**
 * The known servers, the companion first: `sentinel.server.url` (when set), then `sentinel.servers` in order.
 * Entries that are not http(s) URLs, and repeats of an origin, are left out (`problems` says why).
 */
export function readServerEntries(
  servers: unknown,
  legacyUrl: string,
): { entries: ServerEntry[]; problems: string[] } {
  const entries: ServerEntry[] = [
    { id: COMPANION_ID, name: "Companion", url: undefined, source: "companion" },
  ];
  const problems: string[] = [];
  const add = (url: string, name: string, source: ServerEntry["source"]) => {
    const clean = cleanUrl(url);
    const origin = serverOrigin(clean);
    if (!origin) {
      problems.push(`"${url}" is not an http(s) URL`);
      return;
    }
    if (entries.some((e) => e.id === origin)) {
      if (source === "servers" && entries.find((e) => e.id === origin)?.source !== "server.url")
        problems.push(`${origin} is listed twice`);
      return;
    }
    entries.push({ id: origin, name: name.trim() || defaultServerName(clean), url: clean, source });
  };
  if (legacyUrl.trim()) add(legacyUrl, "", "server.url");
  if (Array.isArray(servers)) {
    for (const item of servers) {
      const value = item as Partial<ServerSetting> | null;
      if (!value || typeof value.url !== "string") {
        problems.push(`a sentinel.servers entry without a url: ${JSON.stringify(item)}`);
        continue;
      }
      add(value.url, typeof value.name === "string" ? value.name : "", "servers");
    }
  }
  return { entries, problems };
}

/**
 * The active server: the one chosen last (`stored`) while it is still known, else `sentinel.server.url`'s server
 * when set (what earlier versions connected to), else the companion.
 */
export function activeServerId(entries: readonly ServerEntry[], stored: string | undefined): string {
  if (stored && entries.some((e) => e.id === stored)) return stored;
  return entries.find((e) => e.source === "server.url")?.id ?? COMPANION_ID;
}

/** `sentinel.servers` with `url`'s server added (or renamed, when its origin is there already). */
export function withServer(current: unknown, name: string, url: string): ServerSetting[] {
  const list = settingList(current);
  const origin = serverOrigin(url);
  const clean = cleanUrl(url);
  const at = list.findIndex((s) => serverOrigin(s.url) === origin);
  const entry = { name: name.trim() || defaultServerName(clean), url: clean };
  if (at >= 0) list[at] = entry;
  else list.push(entry);
  return list;
}

/** `sentinel.servers` without the entries of `origin`. */
export function withoutServer(current: unknown, origin: string): ServerSetting[] {
  return settingList(current).filter((s) => serverOrigin(s.url) !== origin);
}

function settingList(current: unknown): ServerSetting[] {
  if (!Array.isArray(current)) return [];
  return current.flatMap((item) => {
    const s = item as Partial<ServerSetting> | null;
    return s && typeof s.url === "string"
      ? [{ name: typeof s.name === "string" ? s.name : "", url: s.url }]
      : [];
  });
}
