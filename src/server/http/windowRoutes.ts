// Windows and panes of one session (spec §1.3): list, select, rename, create, kill, split. The lists come from
// the watchtower's projection while it mirrors tmux (./projectionViews.ts), else from tmux with unread
// counters and revisions at zero. Each mutation publishes its
// `tmux.inspector.updated` event, then its `tmux.sessions.updated` event where §3.3 has one, once it succeeded,
// and tells the watchtower, so that a read right after it waits for the collect that shows it.
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { Routes } from "../../protocol/routes.js";
import {
  PaneIdBody,
  RenamePaneBody,
  RenameWindowBody,
  SessionParams,
  SplitPaneBody,
  WindowIndexBody,
} from "../../protocol/schemas/api.js";
import type { AppContext } from "../context.js";
import { enforceGuardrail } from "../guardrails/enforce.js";
import { toWirePane, toWireWindow } from "../model/wire.js";
import { sessionHash } from "../store/sessionsRepo.js";
import { TmuxError } from "../tmux/errors.js";
import type { TmuxPane } from "../tmux/listing.js";
import {
  directionValue,
  paneIdValue,
  paneTitleValue,
  sessionParam,
  windowIndexValue,
  windowNameValue,
} from "./params.js";
import { panesFromProjection, windowsFromProjection } from "./projectionViews.js";
import { type ApiInstance, data } from "./types.js";

const WIN_NAME = /^win-(\d+)$/;

/** `pan-<digits of the pane id>`. */
export const paneTitleFor = (paneId: string) => `pan-${paneId.replace(/^%/, "")}`;

/** Next `win-N`: past the created index and every existing `win-N` (spec §1.3 step 3). */
export function nextWindowSequence(existingNames: string[], createdIndex: number): number {
  let highest = 0;
  for (const name of existingNames) {
    const m = WIN_NAME.exec(name);
    if (m) highest = Math.max(highest, Number(m[1]));
  }
  return Math.max(createdIndex + 1, highest + 1);
}

const byPosition = (a: TmuxPane, b: TmuxPane) => a.windowIndex - b.windowIndex || a.paneIndex - b.paneIndex;

export function registerWindowRoutes(api: ApiInstance, ctx: AppContext): void {
  const { tmux } = ctx;

  /** A pane operation stays inside the session named in the URL: a pane of another session is "not found". */
  const paneIn = async (session: string, paneId: string): Promise<string> => {
    if (!(await tmux.sessionHasPane(session, paneId)))
      throw new TmuxError("PANE_NOT_FOUND", "pane not found");
    return paneId;
  };

  /** The stored hash, or the one §1.2 derives from the creation time, for a `sessions` row made on demand. */
  const hashOf = async (session: string): Promise<string> => {
    const stored = ctx.sessions.all().get(session)?.hash;
    if (stored) return stored;
    const live = (await tmux.listSessions()).find((s) => s.name === session);
    return sessionHash(session, live?.createdAt ?? Math.floor(Date.now() / 1000));
  };

  api.get(Routes.windows.path, { schema: { params: SessionParams } }, async (request) => {
    const session = sessionParam(request.params.session);
    const windows =
      (await windowsFromProjection(ctx, session)) ??
      (await tmux.listWindows(session)).map((w) => toWireWindow(w, w.panes, undefined));
    return data({ windows });
  });

  api.get(Routes.panes.path, { schema: { params: SessionParams } }, async (request) => {
    const session = sessionParam(request.params.session);
    const panes =
      (await panesFromProjection(ctx, session)) ??
      (await tmux.listPanes(session)).sort(byPosition).map((p) => toWirePane(p, undefined));
    return data({ panes });
  });

  api.post(
    Routes.selectWindow.path,
    { schema: { params: SessionParams, body: WindowIndexBody } },
    async (request, reply) => {
      const session = sessionParam(request.params.session);
      const index = windowIndexValue(request.body.index);
      await tmux.selectWindow(session, index);
      ctx.watchtower.noteMutation();
      ctx.events.publish("tmux.inspector.updated", { session, action: "select-window", index });
      return reply.code(204).send();
    },
  );

  api.post(
    Routes.selectPane.path,
    { schema: { params: SessionParams, body: PaneIdBody } },
    async (request, reply) => {
      const session = sessionParam(request.params.session);
      const paneId = paneIdValue(request.body.paneId);
      await tmux.selectPane(await paneIn(session, paneId));
      ctx.watchtower.noteMutation();
      ctx.events.publish("tmux.inspector.updated", { session, action: "select-pane", paneId });
      return reply.code(204).send();
    },
  );

  api.post(
    Routes.renameWindow.path,
    { schema: { params: SessionParams, body: RenameWindowBody } },
    async (request, reply) => {
      const session = sessionParam(request.params.session);
      const index = windowIndexValue(request.body.index);
      const name = windowNameValue(request.body.name);
      await tmux.renameWindow(session, index, name);
      ctx.watchtower.noteMutation();
      ctx.events.publish("tmux.inspector.updated", { session, action: "rename-window", index });
      ctx.events.publish("tmux.sessions.updated", { session, action: "window-meta" });
      return reply.code(204).send();
    },
  );

  api.post(
    Routes.renamePane.path,
    { schema: { params: SessionParams, body: RenamePaneBody } },
    async (request, reply) => {
      const session = sessionParam(request.params.session);
      const paneId = paneIdValue(request.body.paneId);
      const title = paneTitleValue(request.body.title);
      await tmux.setPaneTitle(await paneIn(session, paneId), title);
      ctx.watchtower.noteMutation();
      ctx.events.publish("tmux.inspector.updated", { session, action: "rename-pane", paneId });
      return reply.code(204).send();
    },
  );

  // The body of new-window is not read (spec §1.3): in its own scope, any body, even malformed, is discarded.
  api.register(async (plain) => {
    const scope = plain.withTypeProvider<TypeBoxTypeProvider>();
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (_request, payload, done) => {
      payload.resume();
      done(null, undefined);
    });
    scope.post(Routes.newWindow.path, { schema: { params: SessionParams } }, async (request, reply) => {
      const session = sessionParam(request.params.session);
      enforceGuardrail(ctx, request, { action: "window.create", sessionName: session });
      // 1. Past the highest index; if listing fails, let tmux pick (`=S:`) and report its own error.
      const before = await tmux.listWindows(session).catch(() => undefined);
      const target = before?.length ? Math.max(...before.map((w) => w.index)) + 1 : undefined;
      // 2. Create it.
      const created = await tmux.newWindow(session, target);
      // 3–4. Names stay monotonic even when tmux reuses an index.
      const seq = nextWindowSequence(
        (before ?? []).map((w) => w.name),
        created.index,
      );
      const allocated = ctx.sessions.allocateWindowSequence(session, seq, await hashOf(session));
      // 5. Best-effort names.
      await tmux.renameWindow(session, created.index, `win-${allocated}`).catch((error: unknown) => {
        request.log.warn({ err: error, session }, "could not name the new window");
      });
      await tmux.setPaneTitle(created.paneId, paneTitleFor(created.paneId)).catch((error: unknown) => {
        request.log.warn({ err: error, session }, "could not title the new pane");
      });
      ctx.watchtower.noteMutation();
      ctx.events.publish("tmux.inspector.updated", {
        session,
        action: "new-window",
        index: created.index,
        paneId: created.paneId,
      });
      ctx.events.publish("tmux.sessions.updated", { session, action: "window-count" });
      return reply.code(204).send();
    });
  });

  api.post(
    Routes.killWindow.path,
    { schema: { params: SessionParams, body: WindowIndexBody } },
    async (request, reply) => {
      const session = sessionParam(request.params.session);
      const index = windowIndexValue(request.body.index);
      enforceGuardrail(ctx, request, { action: "window.kill", sessionName: session, windowIndex: index });
      await tmux.killWindow(session, index);
      ctx.watchtower.noteMutation();
      ctx.events.publish("tmux.inspector.updated", { session, action: "kill-window", index });
      ctx.events.publish("tmux.sessions.updated", { session, action: "window-count" });
      return reply.code(204).send();
    },
  );

  api.post(
    Routes.killPane.path,
    { schema: { params: SessionParams, body: PaneIdBody } },
    async (request, reply) => {
      const session = sessionParam(request.params.session);
      const paneId = paneIdValue(request.body.paneId);
      enforceGuardrail(ctx, request, { action: "pane.kill", sessionName: session, paneId });
      await tmux.killPane(await paneIn(session, paneId));
      ctx.watchtower.noteMutation();
      ctx.events.publish("tmux.inspector.updated", { session, action: "kill-pane", paneId });
      ctx.events.publish("tmux.sessions.updated", { session, action: "pane-count" });
      return reply.code(204).send();
    },
  );

  api.post(
    Routes.splitPane.path,
    { schema: { params: SessionParams, body: SplitPaneBody } },
    async (request, reply) => {
      const session = sessionParam(request.params.session);
      const paneId = paneIdValue(request.body.paneId);
      const direction = directionValue(request.body.direction);
      enforceGuardrail(ctx, request, { action: "pane.split", sessionName: session, paneId });
      const createdId = await tmux.splitPane(await paneIn(session, paneId), direction);
      if (createdId) {
        await tmux.setPaneTitle(createdId, paneTitleFor(createdId)).catch((error: unknown) => {
          request.log.warn({ err: error, session }, "could not title the new pane");
        });
      }
      ctx.watchtower.noteMutation();
      ctx.events.publish("tmux.inspector.updated", {
        session,
        action: "split-pane",
        paneId,
        createdId,
        direction,
      });
      ctx.events.publish("tmux.sessions.updated", { session, action: "pane-count" });
      return reply.code(204).send();
    },
  );
}
