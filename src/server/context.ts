// What every route and socket handler shares: configuration and the long-lived services, each with one owner
// (the server in server.ts), which disposes them in reverse order on shutdown.
import type { FastifyBaseLogger } from "fastify";
import type { PresenceInput, SeenRequest, SeenResult } from "../protocol/activity.js";
import type { Authenticator } from "./auth/authenticator.js";
import type { AuthThrottle } from "./auth/throttle.js";
import type { ServerConfig } from "./config.js";
import type { EventHub } from "./events/hub.js";
import type { Guardrails } from "./guardrails/service.js";
import type { Ops } from "./ops/ops.js";
import type { RunbookService } from "./ops/runbooks/service.js";
import type { OpsTimeline } from "./ops/timeline/timeline.js";
import type { RecordingManager } from "./recording/manager.js";
import type { Recovery } from "./recovery/service.js";
import type { Store } from "./store/database.js";
import type { TmuxRepos } from "./store/repositories.js";
import type { SessionsRepo } from "./store/sessionsRepo.js";
import type { Tmux } from "./tmux/adapter.js";
import type { Watchtower } from "./watchtower/engine.js";

export interface AppContext {
  config: ServerConfig;
  version: string;
  log: FastifyBaseLogger;
  tmux: Tmux;
  store: Store;
  sessions: SessionsRepo;
  /** The tmux side of the store: projection, journal, timeline, presence, runtime, sessions (store/ owns them). */
  repos: TmuxRepos;
  auth: Authenticator;
  throttle: AuthThrottle;
  events: EventHub;
  activity: ActivityTracker;
  /** Keeps the activity projection, journal and timeline (spec §4) current; routes that change tmux tell it. */
  watchtower: Watchtower;
  guardrails: Guardrails;
  recordings: RecordingManager;
  /** Snapshots, reboot and tmux-server-loss detection, restore jobs (spec §7). */
  recovery: Recovery;
  /** Runbooks, their jobs and schedules (spec §1.8). */
  runbooks: RunbookService;
  /** The ops timeline (spec §1.7): every ops writer records through it; it publishes `ops.timeline.updated`. */
  opsTimeline: OpsTimeline;
  /** Ops overview, metrics, services, alerts with the health checker, storage (spec §1.6–§1.9). */
  ops: Ops;
}

/** Unread and presence state (the watchtower implements it); shared by the HTTP routes and /ws/events. */
export interface ActivityTracker {
  /** Marks panes seen and, when acked, broadcasts the seen events itself (spec §3.5, §4.4). Never throws. */
  markSeen(request: SeenRequest): SeenResult;
  /** Validates and upserts presence with a 30 s TTL; throws INVALID_REQUEST (a DomainError) on invalid input. */
  upsertPresence(presence: PresenceInput): { expiresAt: string };
}
