// Checks of path parameters and body values that need the spec's own messages.
import { isAbsolute } from "node:path";
import type { FastifyInstance } from "fastify";
import { isPaneId, isPaneTitle, isSessionName, isWindowName, Messages } from "../../protocol/validate.js";
import { invalidRequest } from "../errors.js";
import type { SplitDirection } from "../tmux/adapter.js";

export function sessionParam(value: string, message: string = Messages.invalidSessionName): string {
  if (!isSessionName(value)) throw invalidRequest(message);
  return value;
}

export function paneIdValue(value: string | undefined): string {
  const v = (value ?? "").trim();
  if (!isPaneId(v)) throw invalidRequest(Messages.paneId);
  return v;
}

/** A missing index is window 0 (Go's zero value). An index no Go `int` could hold was a decode error there. */
export function windowIndexValue(value: number | undefined): number {
  const v = value ?? 0;
  if (!Number.isSafeInteger(v)) throw invalidRequest(Messages.invalidJson);
  if (v < 0) throw invalidRequest(Messages.index);
  return v;
}

export function windowNameValue(value: string | undefined): string {
  const v = (value ?? "").trim();
  if (!isWindowName(v)) throw invalidRequest(Messages.windowName);
  return v;
}

/** Line breaks are refused before trimming, so "title\n" is not quietly accepted as "title". */
export function paneTitleValue(value: string | undefined): string {
  const raw = value ?? "";
  if (/[\r\n]/.test(raw)) throw invalidRequest(Messages.paneTitle);
  const v = raw.trim();
  if (!isPaneTitle(v)) throw invalidRequest(Messages.paneTitle);
  return v;
}

/** `vertical` or `horizontal`, compared case-insensitively (spec §1.3). */
export function directionValue(value: string | undefined): SplitDirection {
  const v = (value ?? "").trim().toLowerCase();
  if (v !== "vertical" && v !== "horizontal") throw invalidRequest(Messages.direction);
  return v;
}

export function absoluteCwd(value: string): string {
  if (!isAbsolute(value)) throw invalidRequest(Messages.cwdAbsolute);
  return value;
}

/**
 * The `{session}` path parameter is checked before the body is read (spec §0.7 order: path, body, fields).
 * Renaming names its path parameter the "source" session.
 */
export function registerSessionParamCheck(api: FastifyInstance): void {
  api.addHook("preParsing", async (request) => {
    const session = (request.params as { session?: unknown } | undefined)?.session;
    if (typeof session !== "string") return;
    const rename = request.method === "PATCH" && request.routeOptions.url === "/api/tmux/sessions/:session";
    sessionParam(session, rename ? Messages.invalidSourceSessionName : Messages.invalidSessionName);
  });
}
