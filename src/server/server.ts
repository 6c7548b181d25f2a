// Owns the running server: builds every service in order, listens, and disposes them in reverse order.
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
import { SessionActivityRecorder } from "./ops/sessionActivity.js";
import { OpsTimeline } from "./ops/timeline.js";
import { RecordingManager } from "./recording/manager.js";
import { RecordingStore } from "./recording/store.js";
import { Recovery } from "./recovery/service.js";
import { Store } from "./store/database.js";
import { GuardrailsRepo } from "./store/guardrailsRepo.js";
import { SessionsRepo } from "./store/sessionsRepo.js";
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
  const store = Store.open(join(config.dataDir, "sentinel.db"), {
    info: (m) => log.info(m),
    warn: (m) => log.warn(m),
  });
  const tmux = new Tmux(config.tmuxSocket ? { socketPath: config.tmuxSocket } : {});
  const events = new EventHub();
  const watchtower = new Watchtower({ store, tmux, events, log, config: config.watchtower });
  const activity = new ActivityService(watchtower.repos, events, config.watchtower.presenceTtlMs);
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
  const ctx: AppContext = {
    config,
    version,
    log,
    tmux,
    store,
    sessions: new SessionsRepo(store),
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
      projection: watchtower.repos.projection,
      projectionCurrent: () => watchtower.mode !== "disabled",
      beforeFirstCollect: () => watchtower.refresh(),
    }),
    runbooks,
    opsTimeline,
    ops: new Ops({ store, events, timeline: opsTimeline, config: config.ops, version, log }),
  };
  let gateway: WebSocketGateway | undefined;
  try {
    await buildApp(ctx, app);
    gateway = new WebSocketGateway(ctx, app.server);
    await app.listen({ host: config.host, port: config.port });
    watchtower.start();
    ctx.recovery.start();
    runbooks.start();
    ctx.ops.start();
  } catch (error) {
    ctx.ops.close();
    await runbooks.close().catch(() => undefined);
    await ctx.recovery.close().catch(() => undefined);
    gateway?.close();
    await app.close().catch(() => undefined);
    watchtower.close();
    sessionActivity.close();
    store.close();
    throw error;
  }
  const address = app.server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    ctx,
    close: () => {
      closed ??= (async () => {
        // Recordings end as "server-shutdown" (not as their clients' closes), with every file closed.
        const recordingsClosed = ctx.recordings.close();
        // A restore under way is failed at once, with a reason, and stops at its next step (before the store closes).
        const recoveryClosed = ctx.recovery.close();
        gateway?.close();
        await recordingsClosed;
        await recoveryClosed;
        // Running jobs end as failed ("the server stopped"), their process groups killed, before the store closes.
        await ctx.runbooks.close();
        ctx.ops.close();
        await app.close();
        watchtower.close();
        sessionActivity.close();
        store.close();
      })();
      return closed;
    },
  };
}
