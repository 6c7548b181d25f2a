// The session and inspector patches (spec §3.4) of projected sessions, read from the projection and mapped
// through the server's one mapping to the wire (model/wire.ts).
import type { InspectorPatch, SessionPatch } from "../../protocol/activity.js";
import { toSessionPatch, toWirePane, toWireWindows } from "../model/wire.js";
import type { PaneRow, ProjectionRepo, WindowRow } from "../store/projectionRepo.js";

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
    sessionPatches.push(toSessionPatch(row));
    inspectorPatches.push(inspectorPatch(name, projection.windows(name), projection.panes(name)));
  }
  return { sessionPatches, inspectorPatches };
}
