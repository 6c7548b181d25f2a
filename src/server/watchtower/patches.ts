// Projection rows as the wire shapes: session and inspector patches (spec §3.4) and the Session object of the
// GET routes (§1.2). Windows and panes map through the server's one mapping (model/wire.ts).
import type { InspectorPatch, SessionPatch } from "../../protocol/activity.js";
import type { Session } from "../../protocol/api.js";
import { toWirePane, toWireWindows } from "../model/wire.js";
import type { PaneRow, ProjectionRepo, SessionRow, WindowRow } from "../store/projectionRepo.js";
import { toRfc3339, toRfc3339OrZero } from "./time.js";

export function sessionPatch(s: SessionRow): SessionPatch {
  return {
    name: s.name,
    attached: s.attached,
    windows: s.windows,
    panes: s.panes,
    activityAt: toRfc3339(s.activityAt),
    lastContent: s.lastPreview,
    unreadWindows: s.unreadWindows,
    unreadPanes: s.unreadPanes,
    rev: s.rev,
  };
}

export function inspectorPatch(session: string, windows: WindowRow[], panes: PaneRow[]): InspectorPatch {
  return {
    session,
    windows: toWireWindows(windows, panes, "patch"),
    panes: panes.map((p) => toWirePane(p, p, "patch")),
  };
}

/** The session and inspector patches of each named session that still has a projection, in the given order. */
export function patchesFor(
  projection: ProjectionRepo,
  sessions: Iterable<string>,
): { sessionPatches: SessionPatch[]; inspectorPatches: InspectorPatch[] } {
  const sessionPatches: SessionPatch[] = [];
  const inspectorPatches: InspectorPatch[] = [];
  for (const name of sessions) {
    const row = projection.session(name);
    if (!row) continue;
    sessionPatches.push(sessionPatch(row));
    inspectorPatches.push(inspectorPatch(name, projection.windows(name), projection.panes(name)));
  }
  return { sessionPatches, inspectorPatches };
}

/** The enriched session of the projection path (§1.2), with the stored tmux creation time (not the quirk). */
export function sessionObject(
  s: SessionRow,
  meta: { hash: string; lastContent: string; icon: string } | undefined,
  hash: string,
): Session {
  return {
    name: s.name,
    windows: s.windows,
    panes: s.panes,
    attached: s.attached,
    createdAt: toRfc3339OrZero(s.createdAt),
    activityAt: toRfc3339OrZero(s.activityAt),
    command: "",
    hash: meta?.hash || hash,
    lastContent: s.lastPreview || meta?.lastContent || "",
    icon: meta?.icon ?? "",
    unreadWindows: s.unreadWindows,
    unreadPanes: s.unreadPanes,
    rev: s.rev,
  };
}
