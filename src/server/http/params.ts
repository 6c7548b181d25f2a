// Checks of path parameters and body values that need the spec's own messages.
import { isAbsolute } from "node:path";
import type { FastifyInstance } from "fastify";
import { isPaneId, isPaneTitle, isSessionName, isWindowName, Messages } from "../../protocol/validate.js";
import type { SplitDirection } from "../tmux/adapter.js";
import { badRequest } from "./errors.js";

export function sessionParam(value: string, message: string = Messages.invalidSessionName): string {
  if (!isSessionName(value)) throw badRequest(message);
  return value;
}

export function paneIdValue(value: string | undefined): string {
  const v = (value ?? "").trim();
  if (!isPaneId(v)) throw badRequest(Messages.paneId);
  return v;
}

/** A missing index is window 0 (Go's zero value). An index no Go `int` could hold was a decode error there. */
export function windowIndexValue(value: number | undefined): number {
  const v = value ?? 0;
  if (!Number.isSafeInteger(v)) throw badRequest(Messages.invalidJson);
  if (v < 0) throw badRequest(Messages.index);
  return v;
}

export function windowNameValue(value: string | undefined): string {
  const v = (value ?? "").trim();
  if (!isWindowName(v)) throw badRequest(Messages.windowName);
  return v;
}

/** Line breaks are refused before trimming, so "title\n" is not quietly accepted as "title". */
export function paneTitleValue(value: string | undefined): string {
  const raw = value ?? "";
  if (/[\r\n]/.test(raw)) throw badRequest(Messages.paneTitle);
  const v = raw.trim();
  if (!isPaneTitle(v)) throw badRequest(Messages.paneTitle);
  return v;
}

/** `vertical` or `horizontal`, compared case-insensitively (spec §1.3). */
export function directionValue(value: string | undefined): SplitDirection {
  const v = (value ?? "").trim().toLowerCase();
  if (v !== "vertical" && v !== "horizontal") throw badRequest(Messages.direction);
  return v;
}

export function absoluteCwd(value: string): string {
  if (!isAbsolute(value)) throw badRequest(Messages.cwdAbsolute);
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
