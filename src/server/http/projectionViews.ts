// The projection path of the GET routes (spec §1.2, §1.3): sessions, windows and panes from the watchtower's
// projection, used while it mirrors a running tmux server. Each first asks the watchtower for a fresh collect,
// so that a change made through tmux a moment ago is already there. `undefined` means "use the tmux path".
import type { Pane, Session, Window } from "../../protocol/api.js";
import type { AppContext } from "../context.js";
import { sessionHash } from "../store/sessionsRepo.js";
import { paneObject, sessionObject, windowObjects } from "../watchtower/patches.js";

const REFRESH_TIMEOUT_MS = 2000;

export async function sessionsFromProjection(ctx: AppContext): Promise<Session[] | undefined> {
  await ctx.watchtower.refresh(REFRESH_TIMEOUT_MS);
  const { projection } = ctx.watchtower.repos;
  if (!ctx.watchtower.projectionLive || projection.isEmpty()) return undefined;
  const stored = ctx.sessions.all();
  const sessions = projection.sessions().map((row) => {
    const created = Math.floor((Date.parse(row.createdAt) || Date.parse(row.activityAt) || 0) / 1000);
    return sessionObject(row, stored.get(row.name), sessionHash(row.name, created));
  });
  ctx.sessions.sync(sessions.map((s) => ({ name: s.name, hash: s.hash, lastContent: s.lastContent })));
  return sessions;
}

export async function windowsFromProjection(ctx: AppContext, session: string): Promise<Window[] | undefined> {
  await ctx.watchtower.refresh(REFRESH_TIMEOUT_MS);
  const { projection } = ctx.watchtower.repos;
  if (!ctx.watchtower.projectionLive) return undefined;
  const windows = projection.windows(session);
  if (windows.length === 0 && !projection.session(session)) return undefined;
  return windowObjects(windows, projection.panes(session));
}

export async function panesFromProjection(ctx: AppContext, session: string): Promise<Pane[] | undefined> {
  await ctx.watchtower.refresh(REFRESH_TIMEOUT_MS);
  const { projection } = ctx.watchtower.repos;
  if (!ctx.watchtower.projectionLive) return undefined;
  const panes = projection.panes(session);
  if (panes.length === 0 && !projection.session(session)) return undefined;
  return panes.map(paneObject);
}
