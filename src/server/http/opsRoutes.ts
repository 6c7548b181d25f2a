// Ops overview, metrics, alerts and timeline routes (spec §1.6, §1.7). Semantics live in src/server/ops.
import {
  type AckAlertResponse,
  ALERT_STATUSES,
  ALERTS_LIMIT_DEFAULT,
  ALERTS_LIMIT_MAX,
  type AlertStatus,
  type AlertsResponse,
  type MetricsResponse,
  normalizeSeverity,
  OpsErrorCode,
  OpsMessages,
  type OpsSeverity,
  type OverviewResponse,
  TIMELINE_LIMIT_DEFAULT,
  TIMELINE_LIMIT_MAX,
  type TimelineResponse,
} from "../../protocol/ops.js";
import { Routes } from "../../protocol/routes.js";
import type { AppContext } from "../context.js";
import { DomainError, invalidRequest } from "../errors.js";
import { ApiError } from "./errors.js";
import { type ApiInstance, data } from "./types.js";

type Query = Record<string, unknown> | undefined;

/** One query value (the first when repeated), trimmed; undefined when absent. */
export function queryValue(query: Query, key: string): string | undefined {
  const raw = query?.[key];
  const value = Array.isArray(raw) ? raw[0] : raw;
  return typeof value === "string" ? value.trim() : undefined;
}

/** `?limit=`: absent or empty is the default, above the maximum is the maximum, ≤0 or not an integer is 400. */
export function limitParam(raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined || raw === "") return fallback;
  if (!/^[+-]?\d+$/.test(raw)) throw invalidRequest(OpsMessages.invalidLimit);
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0) throw invalidRequest(OpsMessages.invalidLimit);
  return Math.min(n, max);
}

/** `?status=`: "", open, acked, resolved (§1.7). */
export function alertStatusParam(raw: string | undefined): AlertStatus | "" {
  const v = (raw ?? "").toLowerCase();
  if (!v) return "";
  if ((ALERT_STATUSES as readonly string[]).includes(v)) return v as AlertStatus;
  throw invalidRequest(OpsMessages.invalidStatus);
}

/** `?severity=`: ""/all no filter; info, warn, warning, error, err (§1.7). */
export function severityParam(raw: string | undefined): OpsSeverity | undefined {
  const v = (raw ?? "").toLowerCase();
  if (!v || v === "all") return undefined;
  if (["info", "warn", "warning", "error", "err"].includes(v)) return normalizeSeverity(v);
  throw invalidRequest(OpsMessages.invalidSeverity);
}

/** `?since=`/`?until=` (port addition): RFC 3339, compared in the stored second-precision UTC form. */
export function timeParam(raw: string | undefined, name: string): string | undefined {
  if (!raw) return undefined;
  const ms = Date.parse(raw);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(raw) || Number.isNaN(ms)) {
    throw invalidRequest(`invalid ops filter: ${name} must be an RFC 3339 timestamp`);
  }
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** A store failure is STORE_ERROR (§0.7); domain errors pass through. */
export async function storeCall<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof DomainError) throw error;
    throw new DomainError(OpsErrorCode.StoreError, (error as Error).message);
  }
}

export function registerOpsRoutes(api: ApiInstance, ctx: Pick<AppContext, "ops" | "opsTimeline">): void {
  const { ops } = ctx;

  api.get(Routes.opsOverview.path, async () => {
    try {
      const body: OverviewResponse = { overview: await ops.overview.build() };
      return data(body);
    } catch (error) {
      throw new ApiError(500, OpsErrorCode.Unavailable, (error as Error).message);
    }
  });

  api.get("/api/ops/metrics", async () => {
    const body: MetricsResponse = { metrics: await ops.metrics.collect() };
    return data(body);
  });

  api.get(Routes.opsAlerts.path, async (request) => {
    const query = request.query as Query;
    const limit = limitParam(queryValue(query, "limit"), ALERTS_LIMIT_DEFAULT, ALERTS_LIMIT_MAX);
    const status = alertStatusParam(queryValue(query, "status"));
    const body: AlertsResponse = { alerts: await storeCall(() => ops.alerts.list(limit, status)) };
    return data(body);
  });

  api.post<{ Params: { alert: string } }>(Routes.ackAlert.path, async (request) => {
    const raw = request.params.alert;
    const id = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isSafeInteger(id) || id <= 0) throw invalidRequest(OpsMessages.invalidAlertId);
    const acked = await storeCall(() => ops.alerts.ack(id));
    if (!acked) throw new DomainError(OpsErrorCode.AlertNotFound, OpsMessages.alertNotFound);
    request.log.info({ alert: id }, "ops alert acknowledged");
    const body: AckAlertResponse = acked;
    return data(body);
  });

  api.get("/api/ops/timeline", async (request) => {
    const query = request.query as Query;
    const severity = severityParam(queryValue(query, "severity"));
    const limit = limitParam(queryValue(query, "limit"), TIMELINE_LIMIT_DEFAULT, TIMELINE_LIMIT_MAX);
    const since = timeParam(queryValue(query, "since"), "since");
    const until = timeParam(queryValue(query, "until"), "until");
    const filter = {
      limit,
      ...(severity ? { severity } : {}),
      ...(queryValue(query, "q") ? { q: queryValue(query, "q") } : {}),
      ...(queryValue(query, "source") ? { source: queryValue(query, "source") } : {}),
      ...(queryValue(query, "eventType") ? { eventType: queryValue(query, "eventType") } : {}),
      ...(queryValue(query, "resource") ? { resource: queryValue(query, "resource") } : {}),
      ...(since ? { since } : {}),
      ...(until ? { until } : {}),
    };
    const body: TimelineResponse = await storeCall(() => ctx.opsTimeline.search(filter));
    return data(body);
  });
}
