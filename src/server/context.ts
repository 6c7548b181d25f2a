// What every route and socket handler shares: configuration and the long-lived services, each with one owner
// (the server in server.ts), which disposes them in reverse order on shutdown.
import type { FastifyBaseLogger } from "fastify";
import type { Authenticator } from "./auth/authenticator.js";
import type { AuthThrottle } from "./auth/throttle.js";
import type { ServerConfig } from "./config.js";
import type { EventHub } from "./events/hub.js";
import type { Store } from "./store/database.js";
import type { SessionsRepo } from "./store/sessionsRepo.js";
import type { Tmux } from "./tmux/adapter.js";

export interface AppContext {
  config: ServerConfig;
  version: string;
  log: FastifyBaseLogger;
  tmux: Tmux;
  store: Store;
  sessions: SessionsRepo;
  auth: Authenticator;
  throttle: AuthThrottle;
  events: EventHub;
}
