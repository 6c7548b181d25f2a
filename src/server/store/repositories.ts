// The repositories of the tmux side of the store, built once per server from its Store (issue 18: the store owns
// them; the watchtower, the activity tracker and the HTTP routes are handed the same instances).
import type { Store } from "./database.js";
import { JournalRepo } from "./journalRepo.js";
import { PaneRuntimeRepo } from "./paneRuntimeRepo.js";
import { PresenceRepo } from "./presenceRepo.js";
import { ProjectionRepo } from "./projectionRepo.js";
import { RuntimeRepo } from "./runtimeRepo.js";
import { SessionsRepo } from "./sessionsRepo.js";
import { TimelineRepo } from "./timelineRepo.js";

export interface TmuxRepos {
  store: Store;
  /** UI metadata per session (icon, hash, last content, window name sequence). */
  sessions: SessionsRepo;
  projection: ProjectionRepo;
  presence: PresenceRepo;
  runtime: RuntimeRepo;
  journal: JournalRepo;
  timeline: TimelineRepo;
  paneRuntime: PaneRuntimeRepo;
}

export function openTmuxRepos(store: Store): TmuxRepos {
  const runtime = new RuntimeRepo(store);
  return {
    store,
    sessions: new SessionsRepo(store),
    projection: new ProjectionRepo(store),
    presence: new PresenceRepo(store),
    runtime,
    journal: new JournalRepo(store, runtime),
    timeline: new TimelineRepo(store),
    paneRuntime: new PaneRuntimeRepo(store),
  };
}
