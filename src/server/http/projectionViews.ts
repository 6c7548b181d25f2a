// The projection path of the GET routes (spec §1.2, §1.3): sessions, windows and panes from the watchtower's
// projection, used while it mirrors a running tmux server. Reads never collect nor write for their own sake: each
// waits only while the watchtower knows the projection is behind (a mutation through this server not collected
// yet, or tmux moved a moment ago: `Watchtower.current`). `undefined` means "use the tmux path".
import type { Pane, Session, Window } from "../../protocol/api.js";
import type { AppContext } from "../context.js";
import { toWirePane, toWireSession, toWireWindows } from "../model/wire.js";
import { projectedSessionHash } from "../store/sessionsRepo.js";

export async function sessionsFromProjection(ctx: AppContext): Promise<Session[] | undefined> {
  await ctx.watchtower.current();
  const { projection, sessions } = ctx.repos;
  if (!ctx.watchtower.projectionLive || projection.isEmpty()) return undefined;
  const stored = sessions.all();
  // The stored tmux creation time (not the hash quirk), the stored hash and line where the projection has none.
  return projection.sessions().map((row) => {
    const meta = stored.get(row.name);
    return toWireSession(
      row,
      row.panes,
      {
        command: "",
        hash: meta?.hash || projectedSessionHash(row.name, row.createdAt, row.activityAt),
        lastContent: row.lastPreview || meta?.lastContent || "",
        icon: meta?.icon ?? "",
      },
      row,
    );
  });
}

export async function windowsFromProjection(ctx: AppContext, session: string): Promise<Window[] | undefined> {
  await ctx.watchtower.current();
  const { projection } = ctx.repos;
  if (!ctx.watchtower.projectionLive) return undefined;
  const windows = projection.windows(session);
  if (windows.length === 0 && !projection.session(session)) return undefined;
  return toWireWindows(windows, projection.panes(session));
}

export async function panesFromProjection(ctx: AppContext, session: string): Promise<Pane[] | undefined> {
  await ctx.watchtower.current();
  const { projection } = ctx.repos;
  if (!ctx.watchtower.projectionLive) return undefined;
  const panes = projection.panes(session);
  if (panes.length === 0 && !projection.session(session)) return undefined;
  return panes.map((p) => toWirePane(p, p));
}
