// The HTTP API (spec §1) as the extension uses it: the protocol's route table (src/protocol/routes.ts, `call`),
// Bearer auth, the `{data}` / `{error}` envelope, a timeout
// per call, and guardrail confirmation (§6.4) as an option of the guarded calls. The token goes to the endpoint's
// origin only: a path cannot lead elsewhere and redirects are never followed. No `vscode` import.
import type {
  ActivityDeltaResponse,
  PresenceInput,
  PresenceResponse,
  SeenResponse,
} from "../../protocol/activity.js";
import type { MetaResponse, Pane, Session, Window } from "../../protocol/api.js";
import type { ErrorEnvelope } from "../../protocol/errors.js";
import {
  GUARDRAIL_CONFIRM_HEADER,
  type GuardrailDecision,
  GuardrailErrorCode,
  type GuardrailErrorDetails,
} from "../../protocol/guardrails.js";
import { type PathParams, type Route, Routes, routePath, type SeenTarget } from "../../protocol/routes.js";
import { serverOrigin } from "../util/origin.js";

/** Where a server is and how to authenticate to it. */
export interface Endpoint {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  url: string;
  /** The static token, or "" when the server needs none. */
  token: string;
}

export type { SeenTarget } from "../../protocol/routes.js";

export interface GuardOptions {
  /** Send the confirmation: the user already agreed. */
  confirm?: boolean;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "ApiError";
  }

  /** The guardrail decision of a 409/428, when there is one. */
  get decision(): GuardrailDecision | undefined {
    const details = this.details as Partial<GuardrailErrorDetails> | undefined;
    return details?.decision;
  }

  get isConfirmRequired(): boolean {
    return this.status === 428 || this.code === GuardrailErrorCode.ConfirmRequired;
  }

  get isBlocked(): boolean {
    return this.code === GuardrailErrorCode.Blocked;
  }
}

/** The server could not be reached at all (refused, reset, timed out). */
export class UnreachableError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = "UnreachableError";
  }
}

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface ApiClientOptions {
  timeoutMs?: number;
  fetch?: FetchLike;
}

export class ApiClient {
  private readonly timeoutMs: number;
  private readonly fetchImpl: FetchLike;

  constructor(
    readonly endpoint: Endpoint,
    options: ApiClientOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 8000;
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  }

  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    options: { confirm?: boolean; timeoutMs?: number } = {},
  ): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    const response = await this.send(method, path, headers, body, options);
    if (response.status === 204) return undefined as T;
    const text = await response.text().catch(() => "");
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const error = (parsed as ErrorEnvelope | undefined)?.error;
      throw new ApiError(
        response.status,
        error?.code ?? `HTTP_${response.status}`,
        error?.message ?? (text.trim() || response.statusText || `HTTP ${response.status}`),
        error?.details,
      );
    }
    return (parsed as { data: T } | undefined)?.data as T;
  }

  /** A GET whose answer is not the JSON envelope (a cast file): the body as text. */
  async text(path: string, accept: string, timeoutMs?: number): Promise<string> {
    const response = await this.send("GET", path, { accept }, undefined, timeoutMs ? { timeoutMs } : {});
    const text = await response.text();
    if (!response.ok) {
      let code = `HTTP_${response.status}`;
      let message = text.trim() || `HTTP ${response.status}`;
      try {
        const parsed = JSON.parse(text) as ErrorEnvelope;
        code = parsed.error?.code ?? code;
        message = parsed.error?.message ?? message;
      } catch {}
      throw new ApiError(response.status, code, message);
    }
    return text;
  }

  /**
   * Sends one request with the token to the endpoint's own origin. A path that would lead to another origin is
   * refused before anything is sent; a redirect is an error, never followed (it could carry the token elsewhere).
   */
  private async send(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: unknown,
    options: { confirm?: boolean; timeoutMs?: number },
  ): Promise<Response> {
    let url = this.endpoint.url + path;
    const origin = serverOrigin(this.endpoint.url);
    if (!path.startsWith("/") || !origin || serverOrigin(url) !== origin)
      throw new Error(`${method} ${path}: not a path on ${this.endpoint.url}`);
    if (this.endpoint.token) headers.authorization = `Bearer ${this.endpoint.token}`;
    if (options.confirm) {
      headers[GUARDRAIL_CONFIRM_HEADER] = "true";
      url += `${url.includes("?") ? "&" : "?"}confirm=1`;
    }
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers,
        redirect: "manual",
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(options.timeoutMs ?? this.timeoutMs),
      });
    } catch (error) {
      throw new UnreachableError(`${method} ${path}: ${describeFetchError(error)}`, error);
    }
    if (response.status >= 300 && response.status < 400) {
      void response.body?.cancel().catch(() => undefined);
      const location = response.headers.get("location");
      throw new ApiError(
        response.status,
        `HTTP_${response.status}`,
        `${method} ${path}: ${this.endpoint.url} answered with a redirect${location ? ` to ${location}` : ""}; ` +
          "Sentinel does not follow redirects (its token stays with the server it belongs to): set the server's own URL",
      );
    }
    return response;
  }

  /** A route of the protocol's table: its path filled in, its body and answer typed by it. */
  call<P extends string, B, T>(
    route: Route<P, B, T>,
    params: Record<PathParams<P>, string>,
    body: B,
    options: {
      confirm?: boolean;
      timeoutMs?: number;
      query?: Record<string, string | number | undefined>;
    } = {},
  ): Promise<T> {
    const { query, ...rest } = options;
    return this.request<T>(route.method, routePath(route, params, query), body, rest);
  }

  meta(timeoutMs?: number): Promise<MetaResponse> {
    return this.call(Routes.meta, {}, undefined, timeoutMs ? { timeoutMs } : {});
  }

  async sessions(): Promise<Session[]> {
    return (await this.call(Routes.sessions, {}, undefined))?.sessions ?? [];
  }

  createSession(name: string, cwd?: string): Promise<{ name: string }> {
    return this.call(Routes.createSession, {}, cwd ? { name, cwd } : { name });
  }

  renameSession(session: string, newName: string): Promise<{ name: string }> {
    return this.call(Routes.renameSession, { session }, { newName });
  }

  killSession(session: string, options: GuardOptions = {}): Promise<void> {
    return this.call(Routes.killSession, { session }, undefined, options);
  }

  async windows(session: string): Promise<Window[]> {
    return (await this.call(Routes.windows, { session }, undefined))?.windows ?? [];
  }

  async panes(session: string): Promise<Pane[]> {
    return (await this.call(Routes.panes, { session }, undefined))?.panes ?? [];
  }

  async selectWindow(session: string, index: number): Promise<void> {
    await this.call(Routes.selectWindow, { session }, { index });
  }

  async selectPane(session: string, paneId: string): Promise<void> {
    await this.call(Routes.selectPane, { session }, { paneId });
  }

  async renameWindow(session: string, index: number, name: string): Promise<void> {
    await this.call(Routes.renameWindow, { session }, { index, name });
  }

  async renamePane(session: string, paneId: string, title: string): Promise<void> {
    await this.call(Routes.renamePane, { session }, { paneId, title });
  }

  async newWindow(session: string, options: GuardOptions = {}): Promise<void> {
    await this.call(Routes.newWindow, { session }, undefined, options);
  }

  async killWindow(session: string, index: number, options: GuardOptions = {}): Promise<void> {
    await this.call(Routes.killWindow, { session }, { index }, options);
  }

  async killPane(session: string, paneId: string, options: GuardOptions = {}): Promise<void> {
    await this.call(Routes.killPane, { session }, { paneId }, options);
  }

  async splitPane(
    session: string,
    paneId: string,
    direction: "vertical" | "horizontal",
    options: GuardOptions = {},
  ): Promise<void> {
    await this.call(Routes.splitPane, { session }, { paneId, direction }, options);
  }

  seen(session: string, target: SeenTarget): Promise<SeenResponse> {
    return this.call(Routes.seen, { session }, target);
  }

  presence(body: PresenceInput): Promise<PresenceResponse> {
    return this.call(Routes.presence, {}, body);
  }

  delta(since: number, limit = 300): Promise<ActivityDeltaResponse> {
    return this.call(Routes.activityDelta, {}, undefined, { timeoutMs: 3000, query: { since, limit } });
  }

  async dirs(prefix: string, limit = 12): Promise<string[]> {
    return (await this.call(Routes.dirs, {}, undefined, { query: { prefix, limit } }))?.dirs ?? [];
  }
}

function describeFetchError(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === "TimeoutError" || error.name === "AbortError") return "timed out";
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ""}`;
    return error.message;
  }
  return String(error);
}

/** `ws://…` for an `http://…` endpoint, and `wss://` for `https://`. */
export function websocketUrl(endpoint: Endpoint, path: string): string {
  return endpoint.url.replace(/^http/, "ws") + path;
}
