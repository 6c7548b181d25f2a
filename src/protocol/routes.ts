// The HTTP routes (spec §1, §2) the extension calls, as one table: method, path (fastify's `:param` form) and, as
// types only, the request body and the `data` of the answer. The server registers these routes with these
// paths (src/server/http/*Routes.ts; test/server/protocolRoutes.test.ts checks fastify serves each with its
// method, and the schemas module checks each body fits the schema the server validates it with); the
// extension's ApiClient calls them with `call(route, params, body)` (src/extension/client/apiClient.ts).
// Runtime-free apart from the strings and `routePath`.
import type {
  ActivityDeltaResponse,
  PresenceInput,
  PresenceResponse,
  SeenResponse,
  SeenScope,
} from "./activity.js";
import type { DirsResponse, MetaResponse, Pane, Session, Window } from "./api.js";
import type { AckAlertResponse, AlertsResponse, OverviewResponse, ServicesResponse } from "./ops.js";
import type {
  JobResponse,
  JobsResponse,
  RunbookResponse,
  RunbooksListResponse,
  RunStartedResponse,
} from "./opsRunbooks.js";
import type { RecordingResponse, RecordingsResponse } from "./recording.js";
import type {
  ConflictPolicy,
  RecoveryJobResponse,
  RecoveryOverviewResponse,
  RecoverySessionsResponse,
  RecoverySnapshotsResponse,
  RestoreMode,
} from "./recovery.js";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** The `:name` segments of a path. */
export type PathParams<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? Name | PathParams<`/${Rest}`>
  : P extends `${string}:${infer Name}`
    ? Name
    : never;

/** A route; `Body` and `Response` travel with it as types only (`undefined`: none). */
export interface Route<P extends string = string, Body = undefined, Response = undefined> {
  readonly method: HttpMethod;
  readonly path: P;
  /** Never set: carries the types. */
  readonly types?: { body: Body; response: Response };
}

export type RouteBody<R> = R extends Route<string, infer B, unknown> ? B : never;
export type RouteResponse<R> = R extends Route<string, unknown, infer T> ? T : never;

const route =
  <Body = undefined, Response = undefined>() =>
  <P extends string>(method: HttpMethod, path: P): Route<P, Body, Response> => ({ method, path });

/** How a recording started from the extension records (the server validates more fields, spec §2). */
export interface StartRecordingInput {
  session: string;
  options?: { captureInput?: boolean; title?: string };
}

/** How a snapshot is restored (spec §1.10). */
export interface RestoreInput {
  mode: RestoreMode;
  conflictPolicy: ConflictPolicy;
  targetSession?: string;
}

/** What Mark as Seen targets in a session. */
export interface SeenTarget {
  scope: SeenScope;
  paneId?: string;
  windowIndex?: number;
}

export const Routes = {
  meta: route<undefined, MetaResponse>()("GET", "/api/meta"),
  sessions: route<undefined, { sessions: Session[] | null }>()("GET", "/api/tmux/sessions"),
  createSession: route<{ name: string; cwd?: string }, { name: string }>()("POST", "/api/tmux/sessions"),
  renameSession: route<{ newName: string }, { name: string }>()("PATCH", "/api/tmux/sessions/:session"),
  killSession: route()("DELETE", "/api/tmux/sessions/:session"),
  windows: route<undefined, { windows: Window[] | null }>()("GET", "/api/tmux/sessions/:session/windows"),
  panes: route<undefined, { panes: Pane[] | null }>()("GET", "/api/tmux/sessions/:session/panes"),
  selectWindow: route<{ index: number }>()("POST", "/api/tmux/sessions/:session/select-window"),
  selectPane: route<{ paneId: string }>()("POST", "/api/tmux/sessions/:session/select-pane"),
  renameWindow: route<{ index: number; name: string }>()("POST", "/api/tmux/sessions/:session/rename-window"),
  renamePane: route<{ paneId: string; title: string }>()("POST", "/api/tmux/sessions/:session/rename-pane"),
  newWindow: route()("POST", "/api/tmux/sessions/:session/new-window"),
  killWindow: route<{ index: number }>()("POST", "/api/tmux/sessions/:session/kill-window"),
  killPane: route<{ paneId: string }>()("POST", "/api/tmux/sessions/:session/kill-pane"),
  splitPane: route<{ paneId: string; direction: "vertical" | "horizontal" }>()(
    "POST",
    "/api/tmux/sessions/:session/split-pane",
  ),
  seen: route<SeenTarget, SeenResponse>()("POST", "/api/tmux/sessions/:session/seen"),
  presence: route<PresenceInput, PresenceResponse>()("PUT", "/api/tmux/presence"),
  /** Query: since, limit. */
  activityDelta: route<undefined, ActivityDeltaResponse>()("GET", "/api/tmux/activity/delta"),
  /** Query: prefix, limit. */
  dirs: route<undefined, DirsResponse>()("GET", "/api/fs/dirs"),
  recordings: route<undefined, RecordingsResponse>()("GET", "/api/recordings"),
  startRecording: route<StartRecordingInput, RecordingResponse>()("POST", "/api/recordings"),
  stopRecording: route<undefined, RecordingResponse>()("POST", "/api/recordings/:id/stop"),
  addMarker: route<{ label: string }, RecordingResponse>()("POST", "/api/recordings/:id/markers"),
  deleteRecording: route()("DELETE", "/api/recordings/:id"),
  /** The cast itself (`application/x-asciicast`, not the JSON envelope): ApiClient.text. */
  recordingCast: route<undefined, string>()("GET", "/api/recordings/:id/cast"),
  opsOverview: route<undefined, OverviewResponse>()("GET", "/api/ops/overview"),
  /** Query: limit, status. */
  opsAlerts: route<undefined, AlertsResponse>()("GET", "/api/ops/alerts"),
  /** 503 where no service manager runs. */
  opsServices: route<undefined, ServicesResponse>()("GET", "/api/ops/services"),
  runbooks: route<undefined, RunbooksListResponse>()("GET", "/api/ops/runbooks"),
  runbook: route<undefined, RunbookResponse>()("GET", "/api/ops/runbooks/:runbook"),
  runRunbook: route<undefined, RunStartedResponse>()("POST", "/api/ops/runbooks/:runbook/run"),
  /** Query: limit. */
  jobs: route<undefined, JobsResponse>()("GET", "/api/ops/jobs"),
  job: route<undefined, JobResponse>()("GET", "/api/ops/jobs/:job"),
  ackAlert: route<undefined, AckAlertResponse>()("POST", "/api/ops/alerts/:alert/ack"),
  recoveryOverview: route<undefined, RecoveryOverviewResponse>()("GET", "/api/recovery/overview"),
  recoverySessions: route<undefined, RecoverySessionsResponse>()("GET", "/api/recovery/sessions"),
  /** Query: limit. */
  recoverySnapshots: route<undefined, RecoverySnapshotsResponse>()(
    "GET",
    "/api/recovery/sessions/:session/snapshots",
  ),
  restoreSnapshot: route<RestoreInput, RecoveryJobResponse>()(
    "POST",
    "/api/recovery/snapshots/:snapshot/restore",
  ),
  recoveryJob: route<undefined, RecoveryJobResponse>()("GET", "/api/recovery/jobs/:job"),
} as const;

/**
 * The path of a call: each `:param` replaced by its value (URI-encoded), then the query (values encoded, those
 * undefined left out).
 */
export function routePath<P extends string>(
  route: Route<P, unknown, unknown>,
  params: Record<PathParams<P>, string>,
  query?: Record<string, string | number | undefined>,
): string {
  const values = params as Record<string, string>;
  const path = route.path.replace(/:(\w+)/g, (_m, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`${route.path}: no value for :${name}`);
    return encodeURIComponent(value);
  });
  const pairs = Object.entries(query ?? {}).filter(([, v]) => v !== undefined);
  return pairs.length
    ? `${path}?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join("&")}`
    : path;
}
