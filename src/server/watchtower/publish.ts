// What a collect publishes (spec §3.3, §4): the engine hands it the collector's outcome.
import type { EventHub } from "../events/hub.js";
import type { ProjectionRepo } from "../store/projectionRepo.js";
import type { CollectOutcome } from "./collector.js";
import { patchesFor } from "./patches.js";

/**
 * The events of one collect (spec §3.3): sessions and activity updates with their patches for the sessions whose
 * projection changed, the live set when sessions vanished, timeline updates.
 */
export function publishOutcome(
  events: EventHub,
  projection: ProjectionRepo,
  outcome: CollectOutcome,
  liveCount: number,
): void {
  if (outcome.changed.length) {
    const { sessionPatches, inspectorPatches } = patchesFor(projection, outcome.changed);
    const sessions = outcome.changed;
    const globalRev = outcome.globalRev;
    events.publish("tmux.sessions.updated", {
      action: "activity",
      sessions,
      globalRev,
      sessionPatches,
      inspectorPatches,
    });
    events.publish("tmux.activity.updated", {
      globalRev,
      sessions,
      sessionPatches,
      inspectorPatches,
    });
  }
  // Sessions gone from tmux (killed or renamed outside this server, or ended) change the live set: the
  // event recovery publishes for that (§3.3) makes clients re-read the list.
  if (outcome.vanished.length) {
    events.publish("tmux.sessions.updated", {
      changedSessions: outcome.vanished.length,
      liveCount,
      action: "live-set",
    });
  }
  if (outcome.timeline.length) events.publish("tmux.timeline.updated", { sessions: outcome.timeline });
}
