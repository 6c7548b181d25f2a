// Windows and panes of one session (spec §1.3): list, select, rename, create, kill, split.
import {
  type Pane,
  PaneIdBody,
  RenamePaneBody,
  RenameWindowBody,
  SessionParams,
  SplitPaneBody,
  type Window,
  WindowIndexBody,
} from "../../protocol/api.js";
import { isPaneTitle, isWindowName, Messages } from "../../protocol/validate.js";
import type { AppContext } from "../context.js";
import { sessionHash } from "../store/sessionsRepo.js";
import type { SplitDirection } from "../tmux/adapter.js";
import { TmuxError } from "../tmux/errors.js";
import { badRequest } from "./errors.js";
import { paneIdValue, sessionParam, windowIndexValue } from "./params.js";
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

export function registerWindowRoutes(api: ApiInstance, ctx: AppContext): void {
  const { tmux } = ctx;

  /** A pane operation must stay inside the session named in the URL. */
  const paneOf = async (session: string, rawPaneId: string | undefined): Promise<string> => {
    const paneId = paneIdValue(rawPaneId);
    const owner = await tmux.paneSession(paneId);
    if (owner !== session) {
      if (!(await tmux.hasSession(session))) throw new TmuxError("SESSION_NOT_FOUND", "session not found");
      throw new TmuxError("PANE_NOT_FOUND", "pane not found");
    }
    return paneId;
  };

  api.get("/api/tmux/sessions/:session/windows", { schema: { params: SessionParams } }, async (request) => {
    const session = sessionParam(request.params.session);
    const windows = (await tmux.listWindows(session)).map(
      (w): Window => ({
        session: w.session,
        index: w.index,
        name: w.name,
        active: w.active,
        panes: w.panes,
        ...(w.layout ? { layout: w.layout } : {}),
        unreadPanes: 0,
        hasUnread: false,
        rev: 0,
      }),
    );
    return data({ windows });
  });

  api.get("/api/tmux/sessions/:session/panes", { schema: { params: SessionParams } }, async (request) => {
    const session = sessionParam(request.params.session);
    const panes = (await tmux.listPanes(session))
      .sort((a, b) => a.windowIndex - b.windowIndex || a.paneIndex - b.paneIndex)
      .map(
        (p): Pane => ({
          session: p.session,
          windowIndex: p.windowIndex,
          paneIndex: p.paneIndex,
          paneId: p.paneId,
          title: p.title,
          active: p.active,
          tty: p.tty,
          ...(p.currentPath ? { currentPath: p.currentPath } : {}),
          ...(p.startCommand ? { startCommand: p.startCommand } : {}),
          ...(p.currentCommand ? { currentCommand: p.currentCommand } : {}),
          revision: 0,
          seenRevision: 0,
          hasUnread: false,
        }),
      );
    return data({ panes });
  });

  api.post(
    "/api/tmux/sessions/:session/select-window",
    { schema: { params: SessionParams, body: WindowIndexBody } },
    async (request, reply) => {
      const session = sessionParam(request.params.session);
      await tmux.selectWindow(session, windowIndexValue(request.body.index));
      return reply.code(204).send();
    },
  );

  api.post(
    "/api/tmux/sessions/:session/select-pane",
    { schema: { params: SessionParams, body: PaneIdBody } },
    async (request, reply) => {
      const session = sessionParam(request.params.session);
      await tmux.selectPane(await paneOf(session, request.body.paneId));
      return reply.code(204).send();
    },
  );

  api.post(
    "/api/tmux/sessions/:session/rename-window",
    { schema: { params: SessionParams, body: RenameWindowBody } },
    async (request, reply) => {
      const session = sessionParam(request.params.session);
      const index = windowIndexValue(request.body.index);
      const name = (request.body.name ?? "").trim();
      if (!isWindowName(name)) throw badRequest(Messages.windowName);
      await tmux.renameWindow(session, index, name);
      return reply.code(204).send();
    },
  );

  api.post(
    "/api/tmux/sessions/:session/rename-pane",
    { schema: { params: SessionParams, body: RenamePaneBody } },
    async (request, reply) => {
      const session = sessionParam(request.params.session);
      const title = (request.body.title ?? "").trim();
      if (!isPaneTitle(title)) throw badRequest(Messages.paneTitle);
      await tmux.setPaneTitle(await paneOf(session, request.body.paneId), title);
      return reply.code(204).send();
    },
  );

  // The body is not read (spec §1.3); any body is accepted and ignored.
  api.post(
    "/api/tmux/sessions/:session/new-window",
    { schema: { params: SessionParams } },
    async (request, reply) => {
      const session = sessionParam(request.params.session);
      const before = await tmux.listWindows(session);
      const target = before.length ? Math.max(...before.map((w) => w.index)) + 1 : undefined;
      const created = await tmux.newWindow(session, target);
      const seq = nextWindowSequence(
        before.map((w) => w.name),
        created.index,
      );
      const live = (await tmux.listSessions()).find((s) => s.name === session);
      const allocated = ctx.sessions.allocateWindowSequence(
        session,
        seq,
        sessionHash(session, live?.createdAt ?? 0),
      );
      await tmux.renameWindow(session, created.index, `win-${allocated}`).catch(() => undefined);
      await tmux.setPaneTitle(created.paneId, paneTitleFor(created.paneId)).catch(() => undefined);
      return reply.code(204).send();
    },
  );

  api.post(
    "/api/tmux/sessions/:session/kill-window",
    { schema: { params: SessionParams, body: WindowIndexBody } },
    async (request, reply) => {
      const session = sessionParam(request.params.session);
      await tmux.killWindow(session, windowIndexValue(request.body.index));
      return reply.code(204).send();
    },
  );

  api.post(
    "/api/tmux/sessions/:session/kill-pane",
    { schema: { params: SessionParams, body: PaneIdBody } },
    async (request, reply) => {
      const session = sessionParam(request.params.session);
      await tmux.killPane(await paneOf(session, request.body.paneId));
      return reply.code(204).send();
    },
  );

  api.post(
    "/api/tmux/sessions/:session/split-pane",
    { schema: { params: SessionParams, body: SplitPaneBody } },
    async (request, reply) => {
      const session = sessionParam(request.params.session);
      const direction = (request.body.direction ?? "").trim().toLowerCase();
      if (direction !== "vertical" && direction !== "horizontal") throw badRequest(Messages.direction);
      const paneId = await paneOf(session, request.body.paneId);
      const createdId = await tmux.splitPane(paneId, direction as SplitDirection);
      if (createdId) await tmux.setPaneTitle(createdId, paneTitleFor(createdId)).catch(() => undefined);
      return reply.code(204).send();
    },
  );
}
