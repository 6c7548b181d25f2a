// Owns the running server: builds every service in order, listens, and disposes them in reverse order through
// one Teardown (teardown.ts) that a failed start and a normal stop both run.
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { buildApp, createFastify } from "./app.js";
import { Authenticator } from "./auth/authenticator.js";
import { AuthThrottle } from "./auth/throttle.js";
import type { ServerConfig } from "./config.js";
import type { AppContext } from "./context.js";
import { EventHub } from "./events/hub.js";
import { Guardrails } from "./guardrails/service.js";
import { Ops } from "./ops/ops.js";
import { RunbookService } from "./ops/runbooks/service.js";
import { SessionActivityRecorder } from "./ops/timeline/sessionActivity.js";
import { OpsTimeline } from "./ops/timeline/timeline.js";
import { RecordingManager } from "./recording/manager.js";
import { RecordingStore } from "./recording/store.js";
import { Recovery } from "./recovery/service.js";
import { Store } from "./store/database.js";
import { GuardrailsRepo } from "./store/guardrailsRepo.js";
import { openTmuxRepos } from "./store/repositories.js";
import { Teardown } from "./teardown.js";
import { Tmux } from "./tmux/adapter.js";
import { Watchtower } from "./watchtower/engine.js";
import { ActivityService } from "./watchtower/tracker.js";
import { WebSocketGateway } from "./ws/gateway.js";

export interface RunningServer {
  url: string;
  port: number;
  ctx: AppContext;
  close(): Promise<void>;
}

export async function startServer(config: ServerConfig, version: string): Promise<RunningServer> {
  const app = createFastify({ config });
  const log = app.log;
  const teardown = new Teardown();
  try {
    return await build(config, version, app, teardown);
  } catch (error) {
    await teardown.run().catch((closeError) => log.warn({ err: closeError }, "closing a failed start"));
    throw error;
  }
}

/** Builds, listens and starts; every resource gets its teardown step as soon as it exists. */
async function build(
  config: ServerConfig,
  version: string,
  app: ReturnType<typeof createFastify>,
  teardown: Teardown,
): Promise<RunningServer> {
  const log = app.log;
  const store = Store.open(join(config.dataDir, "sentinel.db"), {
    info: (m) => log.info(m),
    warn: (m) => log.warn(m),
  });
  teardown.defer("store", () => store.close());
  const tmux = new Tmux({
    ...(config.tmuxSocket ? { socketPath: config.tmuxSocket } : {}),
    ...(config.tmuxQueryShell ? { queryShell: { warn: (message: string) => log.warn(message) } } : {}),
  });
  teardown.defer("tmux query shell", () => tmux.close());
  const events = new EventHub();
  const repos = openTmuxRepos(store);
  const watchtower = new Watchtower({ repos, tmux, events, log, config: config.watchtower });
  teardown.defer("watchtower", () => watchtower.close());
  const activity = new ActivityService(repos, events, config.watchtower.presenceTtlMs);
  // Repairs what a crash left (recordings cut short are closed as interrupted) before anything records.
  const recordingStore = RecordingStore.open(config.dataDir, {
    info: (m) => log.info(m),
    warn: (m) => log.warn(m),
  });
  const runbooks = new RunbookService({
    store,
    events,
    log,
    limits: config.runbooks,
    schedulerTickMs: config.runbooks.schedulerTickMs,
    // Job starts and ends go on the ops timeline (ctx is complete by the time the first job runs).
    timeline: { record: (input) => ctx.opsTimeline.record(input) },
  });
  const opsTimeline = new OpsTimeline(store, events, {
    retentionRows: config.ops.timelineRows,
    maxAgeMs: config.ops.timelineMaxAgeMs,
  });
  // `session.activity` entries for sessions that got tmux timeline rows, at most one per session per tick.
  const sessionActivity = new SessionActivityRecorder(events, opsTimeline, {
    intervalMs: config.watchtower.tickIntervalMs,
    log,
  });
  teardown.defer("session activity", () => sessionActivity.close());
  const ctx: AppContext = {
    config,
    version,
    log,
    tmux,
    store,
    sessions: repos.sessions,
    repos,
    auth: new Authenticator(config.token, config.accessTokenTtlSeconds, config.refreshTokenTtlSeconds),
    throttle: new AuthThrottle(config.authThrottle.maxFailures, config.authThrottle.windowMs),
    events,
    activity,
    watchtower,
    guardrails: new Guardrails(new GuardrailsRepo(store), log),
    recordings: new RecordingManager({ store: recordingStore, tmux, events, log, config: config.recording }),
    recovery: new Recovery({
      store,
      tmux,
      events,
      log,
      config: config.recovery,
      projection: repos.projection,
      projectionCurrent: () => watchtower.mode !== "disabled",
      beforeFirstCollect: () => watchtower.firstCollect(),
      tmuxChanged: () => watchtower.noteMutation(),
      quietly: (call) => watchtower.quietly(call),
      listing: () => watchtower.serverListing(),
    }),
    runbooks,
    opsTimeline,
    ops: new Ops({ store, events, timeline: opsTimeline, config: config.ops, version, log }),
  };
  // Steps run newest first: recordings and restores end before the sockets and the store go (recordings as
  // "server-shutdown", not as their clients' closes; a restore under way fails at once and stops at its next
  // step), running jobs end as failed with their process groups killed, and the HTTP server closes once the
  // WebSocket gateway has let go of its upgraded sockets.
  teardown.defer("http server", () => app.close());
  teardown.defer("ops", () => ctx.ops.close());
  teardown.defer("runbooks", () => runbooks.close());
  let gateway: WebSocketGateway | undefined;
  teardown.defer("websocket gateway", () => gateway?.close());
  teardown.defer("recordings and restores", () =>
    Promise.all([ctx.recordings.close(), ctx.recovery.close()]),
  );
  await buildApp(ctx, app);
  gateway = new WebSocketGateway(ctx, app.server);
  await app.listen({ host: config.host, port: config.port });
  watchtower.start();
  ctx.recovery.start();
  runbooks.start();
  ctx.ops.start();
  const address = app.server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    ctx,
    close: () => teardown.run(),
  };
}
