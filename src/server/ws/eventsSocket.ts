// One `/ws/events` connection (spec §3 and docs/decisions/0003-events.md): `events.ready` first, then the
// replay or reconcile notice that `?since=` asks for, then live events through a bounded outbox; pings every
// 20 s; client `presence` and `seen` messages handed to the activity tracker, with the seen ack sent before the
// broadcasts the seen causes. Everything else a client sends is ignored without a reply.
//
// Frames go out through the raw socket, not ws.send: every event's frame is built once by the hub and written
// as is (server frames are unmasked, so the bytes are the same for every subscriber), and the frames of one
// synchronous burst are corked into one write (up to 64 KiB). ws still owns the connection: reading, pings,
// pongs and close. Writing stops as soon as ws leaves OPEN, so no data frame can follow a close frame.
import type { Duplex } from "node:stream";
import type { FastifyBaseLogger } from "fastify";
import type { RawData, WebSocket } from "ws";
import type { SeenResult } from "../../protocol/activity.js";
import {
  type PresenceMessage,
  parseClientMessage,
  presenceError,
  presenceInput,
  type SeenMessage,
  seenAck,
  seenFailure,
  seenRequest,
} from "../../protocol/eventMessages.js";
import { connectionMessage } from "../../protocol/events.js";
import type { ActivityTracker } from "../context.js";
import { textFrame } from "../events/frame.js";
import type { EventHub, PublishedEvent } from "../events/hub.js";
import { Outbox, type OutboxOptions } from "../events/outbox.js";

export interface EventsSocketOptions {
  hub: EventHub;
  /** Undefined until the watchtower is wired: presence is then dropped and seen answered with an error. */
  activity: ActivityTracker | undefined;
  log: FastifyBaseLogger;
  since?: number;
  epoch?: string;
  remote?: string;
  pingIntervalMs?: number;
  outbox?: Pick<OutboxOptions, "maxQueued" | "highWatermark" | "drainPollMs">;
}

const json = (value: unknown) => textFrame(JSON.stringify(value));
const CORK_LIMIT = 64 * 1024;

/** `socket` is the one the upgrade handed to ws (`WebSocketServer.handleUpgrade`). */
export function attachEvents(
  ws: WebSocket,
  socket: Duplex,
  options: EventsSocketOptions,
): { dispose(): void } {
  const { hub, log } = options;
  let finished = false;
  /** Events published while a seen is being handled: they go out after its ack. */
  let held: PublishedEvent[] | undefined;
  // Frames written in one synchronous burst leave in one write, up to CORK_LIMIT bytes at a time, so the
  // socket's buffered amount (which the outbox watches) stays close to what the kernel has not taken yet.
  let corked = 0;
  const uncork = () => {
    if (corked === 0) return;
    corked = 0;
    socket.uncork();
  };
  const write = (frame: Buffer) => {
    if (ws.readyState !== ws.OPEN || socket.destroyed) return;
    if (corked > 0 && corked + frame.length > CORK_LIMIT) uncork();
    if (corked === 0) {
      socket.cork();
      process.nextTick(uncork);
    }
    corked += frame.length;
    socket.write(frame);
  };

  const outbox = new Outbox(
    {
      get bufferedAmount() {
        return ws.bufferedAmount;
      },
      send: write,
    },
    {
      ...options.outbox,
      overflowNotice: (since, dropped) => {
        const lastEventId = hub.lastEventId;
        const notice = connectionMessage("events.reconcile", {
          reason: "overflow",
          since,
          lastEventId,
          dropped,
        });
        return { frame: json(notice), lastEventId };
      },
      onOverflow: (state, dropped) => {
        if (state === "start")
          log.warn({ remote: options.remote }, "events subscriber too slow: dropping events");
        else log.info({ remote: options.remote, dropped }, "events subscriber caught up; told to reconcile");
      },
    },
    options.since ?? hub.lastEventId,
  );

  // A socket that has taken everything can take more now, not at the next poll.
  socket.on("drain", () => outbox.kick());
  outbox.push(json(connectionMessage("events.ready", { message: "subscribed" })));
  const deliver = (event: PublishedEvent) => {
    if (held) held.push(event);
    else outbox.push(event.frame, event.eventId);
  };
  const subscription = hub.subscribe(deliver, {
    ...(options.since !== undefined ? { since: options.since } : {}),
    ...(options.epoch !== undefined ? { epoch: options.epoch } : {}),
    stats: () => ({
      queued: outbox.queued,
      buffered: ws.bufferedAmount,
      dropped: outbox.dropped,
      overflowing: outbox.isOverflowing,
    }),
  });
  if ("reconcile" in subscription.resume) {
    outbox.push(json(connectionMessage("events.reconcile", subscription.resume.reconcile)));
    outbox.cursor = subscription.resume.reconcile.lastEventId;
  } else {
    for (const event of subscription.resume.replay) deliver(event);
  }

  const onPresence = (message: PresenceMessage) => {
    if (presenceError(message) !== undefined || !options.activity) return;
    try {
      options.activity.upsertPresence(presenceInput(message));
    } catch {
      // Invalid presence is dropped without a reply (§3.5).
    }
  };

  const onSeen = (message: SeenMessage) => {
    held = [];
    let result: SeenResult;
    try {
      result = options.activity ? options.activity.markSeen(seenRequest(message)) : seenFailure(message);
    } catch (error) {
      log.error({ err: error }, "seen failed");
      result = seenFailure(message);
    }
    const broadcasts = held;
    held = undefined;
    outbox.push(json(seenAck(message, result)));
    for (const event of broadcasts) deliver(event);
  };

  const onMessage = (data: RawData, isBinary: boolean) => {
    if (finished || isBinary) return;
    const bytes = Array.isArray(data)
      ? Buffer.concat(data)
      : Buffer.isBuffer(data)
        ? data
        : Buffer.from(data);
    const text = bytes.toString("utf8");
    const message = parseClientMessage(text);
    if (message?.type === "presence") onPresence(message);
    else if (message?.type === "seen") onSeen(message);
  };

  const finish = (code: number, reason: string) => {
    if (finished) return;
    finished = true;
    clearInterval(ping);
    subscription.unsubscribe();
    outbox.dispose();
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason);
  };

  const ping = setInterval(() => {
    if (ws.readyState === ws.OPEN) ws.ping("k");
  }, options.pingIntervalMs ?? 20_000);

  ws.on("message", onMessage);
  ws.once("close", () => finish(1000, "done"));
  ws.on("error", (error) => {
    log.debug({ err: error }, "events socket error");
    finish(1011, "connection error");
  });

  return { dispose: () => finish(1001, "server shutting down") };
}
