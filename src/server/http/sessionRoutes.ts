// Sessions (spec §1.2): list, create (201), rename, icon (204), kill (204). Each mutation publishes its
// `tmux.sessions.updated` event (§3.3) once it has succeeded; those that change tmux tell the watchtower.
import { statSync } from "node:fs";
import type { Session } from "../../protocol/api.js";
import { Routes } from "../../protocol/routes.js";
import {
  CreateSessionBody,
  RenameSessionBody,
  SessionParams,
  SetIconBody,
} from "../../protocol/schemas/api.js";
import { isIconKey, isSessionName, Messages } from "../../protocol/validate.js";
import type { AppContext } from "../context.js";
import { invalidRequest } from "../errors.js";
import { enforceGuardrail } from "../guardrails/enforce.js";
import { toWireSession } from "../model/wire.js";
import { sessionHash } from "../store/sessionsRepo.js";
import { TmuxError } from "../tmux/errors.js";
import { inferCommand } from "../tmux/inferCommand.js";
import type { TmuxPane } from "../tmux/listing.js";
import { absoluteCwd, sessionParam } from "./params.js";
import { sessionsFromProjection } from "./projectionViews.js";
import { type ApiInstance, data } from "./types.js";

/** tmux's epoch seconds as ISO (the model's times; 0 stays the epoch, as tmux gave it). */
const iso = (epochSeconds: number) => new Date(epochSeconds * 1000).toISOString();

function lastNonEmptyLine(text: string): string {
  const lines = text.split("\n").map((l) => l.trimEnd());
  for (let i = lines.length - 1; i >= 0; i--) if (lines[i]) return lines[i]!;
  return "";
}

/** The tmux path of §1.2: list-sessions + list-panes -a + a short capture of each session's active pane. */
async function listFromTmux(ctx: AppContext): Promise<Session[]> {
  const sessions = await ctx.tmux.listSessions();
  if (sessions.length === 0) {
    ctx.sessions.sync([]);
    return [];
  }
  const panes = await ctx.tmux.listPanes();
  const bySession = new Map<string, TmuxPane[]>();
  for (const p of panes) bySession.set(p.session, [...(bySession.get(p.session) ?? []), p]);
  const stored = ctx.sessions.all();
  const previews = await Promise.all(
    sessions.map((s) =>
      ctx.tmux
        .capturePane(`=${s.name}:`, -3)
        .then(lastNonEmptyLine)
        .catch(() => ""),
    ),
  );
  const result = sessions.map((s, i): Session => {
    const own = bySession.get(s.name) ?? [];
    const active = own.find((p) => p.windowActive && p.active);
    const command = active
      ? inferCommand(active.startCommand) || inferCommand(active.currentCommand) || active.currentCommand
      : "";
    const meta = stored.get(s.name);
    return toWireSession(
      { ...s, createdAt: iso(s.createdAt), activityAt: iso(s.activityAt) },
      own.length || s.windows,
      {
        command,
        hash: meta?.hash || sessionHash(s.name, s.createdAt),
        lastContent: previews[i] ?? "",
        icon: meta?.icon ?? "",
      },
      undefined,
    );
  });
  ctx.sessions.sync(result.map((s) => ({ name: s.name, hash: s.hash, lastContent: s.lastContent })));
  return result;
}

function existingDirectory(path: string): string {
  let isDir = false;
  try {
    isDir = statSync(path).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw invalidRequest("cwd must be an existing directory");
  return path;
}

export function registerSessionRoutes(api: ApiInstance, ctx: AppContext): void {
  api.get(Routes.sessions.path, async () =>
    data({ sessions: (await sessionsFromProjection(ctx)) ?? (await listFromTmux(ctx)) }),
  );

  api.post(Routes.createSession.path, { schema: { body: CreateSessionBody } }, async (request, reply) => {
    const name = (request.body.name ?? "").trim();
    if (!isSessionName(name)) throw invalidRequest(Messages.sessionName);
    const rawCwd = (request.body.cwd ?? "").trim() || process.env.HOME || "/";
    const cwd = existingDirectory(absoluteCwd(rawCwd));
    enforceGuardrail(ctx, request, { action: "session.create", sessionName: name });
    // tmux rewrites "." and ":" in session names; answer with the name tmux really used.
    const actual = name.replace(/[.:]/g, "_");
    if (actual !== name && (await ctx.tmux.hasSession(actual))) {
      throw new TmuxError("SESSION_ALREADY_EXISTS", "session already exists");
    }
    await ctx.tmux.newSession(name, cwd);
    const created = (await ctx.tmux.listSessions()).find((s) => s.name === actual);
    ctx.sessions.ensure(actual, sessionHash(actual, created?.createdAt ?? Math.floor(Date.now() / 1000)));
    request.log.info({ session: actual, cwd }, "session created");
    ctx.watchtower.noteMutation();
    ctx.events.publish("tmux.sessions.updated", { session: actual, action: "create" });
    return reply.code(201).send(data({ name: actual }));
  });

  api.patch(
    Routes.renameSession.path,
    { schema: { params: SessionParams, body: RenameSessionBody } },
    async (request) => {
      const session = sessionParam(request.params.session, Messages.invalidSourceSessionName);
      const newName = (request.body.newName ?? "").trim();
      if (!isSessionName(newName)) throw invalidRequest(Messages.sessionName);
      if (newName !== session && (await ctx.tmux.hasSession(newName))) {
        throw new TmuxError("SESSION_ALREADY_EXISTS", "session already exists");
      }
      await ctx.tmux.renameSession(session, newName);
      ctx.sessions.rename(session, newName);
      if (ctx.recovery.enabled) ctx.recovery.renameSession(session, newName);
      ctx.watchtower.noteMutation();
      ctx.events.publish("tmux.sessions.updated", { session, newName, action: "rename" });
      return data({ name: newName });
    },
  );

  api.patch(
    "/api/tmux/sessions/:session/icon",
    { schema: { params: SessionParams, body: SetIconBody } },
    async (request, reply) => {
      const session = sessionParam(request.params.session);
      const icon = (request.body.icon ?? "").trim();
      if (!isIconKey(icon)) throw invalidRequest(Messages.icon);
      const live = (await ctx.tmux.listSessions()).find((s) => s.name === session);
      if (!live) throw new TmuxError("SESSION_NOT_FOUND", "session not found");
      ctx.sessions.setIcon(session, icon, sessionHash(session, live.createdAt));
      ctx.events.publish("tmux.sessions.updated", { session, action: "icon" });
      return reply.code(204).send();
    },
  );

  api.delete(Routes.killSession.path, { schema: { params: SessionParams } }, async (request, reply) => {
    const session = sessionParam(request.params.session);
    enforceGuardrail(ctx, request, { action: "session.kill", sessionName: session });
    await ctx.tmux.killSession(session);
    ctx.sessions.remove(session);
    request.log.info({ session }, "session killed");
    ctx.watchtower.noteMutation();
    ctx.events.publish("tmux.sessions.updated", { session, action: "delete" });
    // A session killed through the API is archived, not "killed" (§1.2, §7.1); best-effort.
    if (ctx.recovery.enabled) {
      try {
        ctx.recovery.archive(session);
      } catch (error) {
        request.log.warn({ err: error, session }, "recovery: archive of a killed session failed");
      }
    }
    return reply.code(204).send();
  });
}
