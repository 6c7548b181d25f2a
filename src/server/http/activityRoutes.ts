// Presence, seen, the activity delta, the watchtower's stats and the timeline (spec §1.3 seen, §1.4, §1.5).
import type {
  ActivityChange,
  ActivityDeltaResponse,
  ActivityStatsResponse,
  PresenceResponse,
  SeenResponse,
  TimelineResponse,
} from "../../protocol/activity.js";
import { ErrorCode } from "../../protocol/errors.js";
import { SeenErrors } from "../../protocol/eventMessages.js";
import { Routes } from "../../protocol/routes.js";
import { PresenceBody, SeenBody } from "../../protocol/schemas/activity.js";
import { SessionParams } from "../../protocol/schemas/api.js";
import { isSessionName, Messages } from "../../protocol/validate.js";
import type { AppContext } from "../context.js";
import { DomainError, invalidRequest } from "../errors.js";
import { patchesFor } from "../watchtower/patches.js";
import { toRfc3339, ZERO_TIME } from "../watchtower/time.js";
import { SeenMessages } from "../watchtower/tracker.js";
import { sessionParam } from "./params.js";
import { type ApiInstance, data } from "./types.js";

type Query = Record<string, string | string[] | undefined>;

/** The first value of a query parameter ("" when absent), as Go's `URL.Query().Get` reads it. */
const param = (query: Query, name: string): string => {
  const v = query[name];
  return (Array.isArray(v) ? v[0] : v) ?? "";
};

const INTEGER = /^[+-]?\d+$/;

/** An integer query value, undefined when it is not one (Go's strconv.Atoi). */
function integer(text: string): number | undefined {
  if (!INTEGER.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** An RFC 3339 time as a stored time (ISO with milliseconds); `end` rounds a whole second up to its last ms. */
function rfc3339Bound(text: string, end: boolean): string | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const ms = Date.parse(text.toUpperCase());
  if (!Number.isFinite(ms)) return undefined;
  return new Date(end && !m[1] ? ms + 999 : ms).toISOString();
}

export function registerActivityRoutes(api: ApiInstance, ctx: AppContext): void {
  const wt = ctx.watchtower;

  api.put(Routes.presence.path, { schema: { body: PresenceBody } }, async (request) => {
    const b = request.body;
    const { expiresAt } = ctx.activity.upsertPresence({
      terminalId: b.terminalId ?? "",
      session: b.session ?? "",
      windowIndex: b.windowIndex ?? 0,
      paneId: b.paneId ?? "",
      visible: b.visible ?? false,
      focused: b.focused ?? false,
    });
    const body: PresenceResponse = { accepted: true, expiresAt };
    return data(body);
  });

  api.post(Routes.seen.path, { schema: { params: SessionParams, body: SeenBody } }, async (request) => {
    const session = sessionParam(request.params.session);
    const scope = request.body.scope ?? "";
    if (!scope.trim()) throw invalidRequest(SeenMessages.scopeRequired);
    const result = ctx.activity.markSeen({
      session,
      scope,
      windowIndex: request.body.windowIndex ?? 0,
      paneId: request.body.paneId ?? "",
    });
    if (result.error === SeenErrors.failed) throw new DomainError(ErrorCode.StoreError, SeenErrors.failed);
    if (result.error) throw invalidRequest(result.error);
    const body: SeenResponse = {
      session: result.session,
      scope: result.scope,
      acked: result.acked,
      globalRev: result.globalRev,
    };
    if (result.sessionPatches?.length) body.sessionPatches = result.sessionPatches;
    if (result.inspectorPatches?.length) body.inspectorPatches = result.inspectorPatches;
    return data(body);
  });

  api.get(Routes.activityDelta.path, async (request) => {
    const query = request.query as Query;
    const sinceText = param(query, "since");
    const since = sinceText === "" ? 0 : integer(sinceText);
    if (since === undefined || since < 0) throw invalidRequest("since must be >= 0");
    const limitText = param(query, "limit");
    const parsedLimit = limitText === "" ? 200 : integer(limitText);
    if (parsedLimit === undefined || parsedLimit <= 0) throw invalidRequest("limit must be > 0");
    const limit = Math.min(parsedLimit, 1000);
    const { journal, projection } = ctx.repos;
    const globalRev = journal.globalRev();
    const rows = journal.since(since, limit + 1);
    let overflow = rows.length > limit;
    const kept = rows.slice(0, limit);
    // Beyond the Go server: `since` older than the oldest kept row (rows were dropped by retention), or newer
    // than the current revision (the store was recreated), cannot be served from the journal.
    const oldest = journal.oldestRev();
    if (since < globalRev && (oldest === undefined || since < oldest - 1)) overflow = true;
    if (since > globalRev) overflow = true;
    const changes: ActivityChange[] = kept.map((r) => ({
      id: r.id,
      globalRev: r.globalRev,
      entityType: r.entityType,
      session: r.session,
      windowIndex: r.windowIndex,
      paneId: r.paneId,
      changeKind: r.changeKind,
      changedAt: toRfc3339(r.changedAt),
    }));
    const body: ActivityDeltaResponse = { since, limit, globalRev, overflow, changes };
    const { sessionPatches, inspectorPatches } = patchesFor(projection, new Set(kept.map((r) => r.session)));
    if (sessionPatches.length) body.sessionPatches = sessionPatches;
    if (inspectorPatches.length) body.inspectorPatches = inspectorPatches;
    return data(body);
  });

  api.get("/api/tmux/activity/stats", async () => {
    const runtime = ctx.repos.runtime.all();
    const int = (key: string) => {
      const n = Number.parseInt(runtime[key] ?? "", 10);
      return Number.isFinite(n) ? n : 0;
    };
    const body: ActivityStatsResponse = {
      globalRev: int("global_rev"),
      collectTotal: int("collect_total"),
      collectErrorsTotal: int("collect_errors_total"),
      lastCollectAt: toRfc3339(runtime.last_collect_at ?? "") || ZERO_TIME,
      lastCollectDurationMs: int("last_collect_duration_ms"),
      lastCollectSessions: int("last_collect_sessions"),
      lastCollectChanged: int("last_collect_changed_sessions"),
      lastCollectError: runtime.last_collect_error ?? "",
      runtime,
      engine: {
        mode: wt.mode,
        monitors: wt.counters.monitors,
        collects: wt.counters.collects,
        fullCollects: wt.counters.fullCollects,
        captures: wt.counters.captures,
        notices: wt.counters.notices,
        statusTicks: wt.counters.statusTicks,
      },
    };
    return data(body);
  });

  api.get("/api/tmux/timeline", async (request) => {
    const query = request.query as Query;
    const session = param(query, "session").trim();
    if (session && !isSessionName(session)) throw invalidRequest(Messages.invalidSessionName);
    const windowText = param(query, "windowIndex").trim();
    let windowIndex: number | undefined;
    if (windowText) {
      windowIndex = integer(windowText);
      if (windowIndex === undefined || windowIndex < 0) throw invalidRequest("windowIndex must be >= 0");
    }
    const paneId = param(query, "paneId").trim();
    if (paneId && !paneId.startsWith("%")) throw invalidRequest(Messages.paneId);
    const severityText = param(query, "severity").trim().toLowerCase();
    const severity = ["info", "warn", "error"].includes(severityText) ? severityText : undefined;
    const sinceText = param(query, "since").trim();
    const since = sinceText ? rfc3339Bound(sinceText, false) : undefined;
    if (sinceText && !since) throw invalidRequest("since must be RFC3339");
    const untilText = param(query, "until").trim();
    const until = untilText ? rfc3339Bound(untilText, true) : undefined;
    if (untilText && !until) throw invalidRequest("until must be RFC3339");
    const limitText = param(query, "limit").trim();
    const parsedLimit = limitText === "" ? 100 : integer(limitText);
    if (parsedLimit === undefined || parsedLimit <= 0) throw invalidRequest("limit must be > 0");
    const q = param(query, "q").trim();
    const eventType = param(query, "eventType").trim();
    const found = ctx.repos.timeline.search({
      ...(session ? { session } : {}),
      ...(windowIndex !== undefined ? { windowIndex } : {}),
      ...(paneId ? { paneId } : {}),
      ...(q ? { q } : {}),
      ...(severity ? { severity } : {}),
      ...(eventType ? { eventType } : {}),
      ...(since ? { since } : {}),
      ...(until ? { until } : {}),
      limit: Math.min(parsedLimit, 500),
    });
    const body: TimelineResponse = {
      events: found.events.map((e) => ({ ...e, createdAt: toRfc3339(e.createdAt) })),
      hasMore: found.hasMore,
    };
    return data(body);
  });
}
