// BENCH AND TEST ONLY: in the development build (`npm run build`, which the tests and `npm run bench` run) and
// not in the production bundle (`__SENTINEL_BENCH__` in scripts/build.mjs); registered only when the environment
// has SENTINEL_BENCH_EVENTS=1. A synthetic event source, so the /ws/events fan-out can be measured at a controlled
// rate and size without tmux (the tmux-backed mutations top out near 150/s on a small machine), and the hub's
// counters. Behind the normal /api guard (origin, token). See docs/decisions/0003-events.md.
import { type Static, Type } from "typebox";
import type { AppContext } from "../context.js";
import { type ApiInstance, data } from "./types.js";

export const BENCH_EVENTS_ENV = "SENTINEL_BENCH_EVENTS";
export const BENCH_EVENT_TYPE = "bench.tick";

export const BenchEventsBody = Type.Object(
  {
    count: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    padBytes: Type.Optional(Type.Integer({ minimum: 0, maximum: 65_536 })),
  },
  { additionalProperties: false },
);
export type BenchEventsBody = Static<typeof BenchEventsBody>;

/** Payload of `bench.tick`: `sentAt` is the publisher's wall clock in ms with sub-ms precision. */
export interface BenchTickPayload {
  seq: number;
  sentAt: number;
  pad: string;
}

export function benchEventsEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[BENCH_EVENTS_ENV] === "1";
}

export function registerBenchRoutes(api: ApiInstance, ctx: AppContext): void {
  ctx.log.warn(`${BENCH_EVENTS_ENV}=1: the bench-only event source /api/bench/events is enabled`);
  let seq = 0;

  api.post("/api/bench/events", { schema: { body: BenchEventsBody } }, async (request) => {
    const count = request.body.count ?? 1;
    const pad = "x".repeat(request.body.padBytes ?? 0);
    let firstEventId = 0;
    let lastEventId = 0;
    for (let i = 0; i < count; i++) {
      const payload: BenchTickPayload = {
        seq: ++seq,
        sentAt: performance.timeOrigin + performance.now(),
        pad,
      };
      lastEventId = ctx.events.publish(BENCH_EVENT_TYPE, payload).eventId;
      firstEventId ||= lastEventId;
    }
    return data({ firstEventId, lastEventId });
  });

  api.get("/api/bench/events", async () => data(ctx.events.stats()));
}
