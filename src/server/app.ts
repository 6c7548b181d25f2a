// Builds the HTTP server: fastify with request ids, strict JSON bodies, the `{data}`/`{error}` envelope,
// rate limiting and the auth guard on `/api/*`, and the routes of each area.
import rateLimit from "@fastify/rate-limit";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyServerOptions,
  LogController,
} from "fastify";
import { ErrorCode, ExtraErrorCode } from "../protocol/errors.js";
import { REQUEST_ID_HEADER } from "../protocol/transport.js";
import { redactUrl } from "./auth/authenticator.js";
import { HOST_DENIED_MESSAGE, HostCheck } from "./auth/host.js";
import type { AppContext } from "./context.js";
import { DomainError, invalidRequest } from "./errors.js";
import { registerActivityRoutes } from "./http/activityRoutes.js";
import { guardRequest, registerApiGuard } from "./http/apiGuard.js";
import { registerAuthRoutes } from "./http/authRoutes.js";
import { ApiError, envelope, frameworkError, sendApiError, toApiError } from "./http/errors.js";
import { registerFsRoutes } from "./http/fsRoutes.js";
import { registerGuardrailRoutes } from "./http/guardrailRoutes.js";
import { BODY_LIMIT, registerJsonBodyParser } from "./http/jsonBody.js";
import { registerMetaRoutes } from "./http/metaRoutes.js";
import { registerOpsConfigRoutes } from "./http/opsConfigRoutes.js";
import { registerOpsRoutes } from "./http/opsRoutes.js";
import { registerOpsRunbookRoutes } from "./http/opsRunbookRoutes.js";
import { registerOpsServiceRoutes } from "./http/opsServiceRoutes.js";
import { registerSessionParamCheck } from "./http/params.js";
import { registerRecordingRoutes } from "./http/recordingRoutes.js";
import { registerRecoveryRoutes } from "./http/recoveryRoutes.js";
import { RouteMethods } from "./http/routeMethods.js";
import { schemaCompilers } from "./http/schemaCompilers.js";
import { registerSessionRoutes } from "./http/sessionRoutes.js";
import { registerWindowRoutes } from "./http/windowRoutes.js";
import { requestIdFrom } from "./requestId.js";

export type App = FastifyInstance;

// True in the development build (`npm run build`: tests and `npm run bench`), false in the production build
// (scripts/build.mjs --production), which then has no bench-only route or its module; undefined when run from
// source.
declare const __SENTINEL_BENCH__: boolean | undefined;

export function fastifyOptions(logLevel: string): FastifyServerOptions {
  return {
    logger: {
      level: logLevel,
      stream: process.stderr,
      serializers: {
        req: (req: { method: string; url: string; ip?: string }) => ({
          method: req.method,
          url: redactUrl(req.url),
          remote: req.ip,
        }),
      },
    },
    bodyLimit: BODY_LIMIT,
    // URLs fastify cannot route (bad percent-encoding, an overlong parameter): the spec's envelope too.
    frameworkErrors: frameworkError,
    // Keep a client's X-Request-ID when it is sane, otherwise make one; it is echoed on every response.
    genReqId: (req) => requestIdFrom(req.headers["x-request-id"]),
    logController: new LogController({
      requestIdLogLabel: "requestId",
      disableRequestLogging: logLevel !== "debug" && logLevel !== "trace",
    }),
    schemaController: { compilersFactory: schemaCompilers },
    return503OnClosing: true,
    forceCloseConnections: true,
  };
}

export function errorHandler(
  error: FastifyError,
  _request: Parameters<Parameters<FastifyInstance["setErrorHandler"]>[0]>[1],
  reply: Parameters<Parameters<FastifyInstance["setErrorHandler"]>[0]>[2],
) {
  const api = toApiError(error);
  if (api) {
    return sendApiError(reply, api, error);
  }
  if (error.validation) {
    // Body schema failures are shape errors (unknown field, wrong type): Go's decoder said "invalid json body".
    const message =
      error.validationContext === "body" ? "invalid json body" : `invalid ${error.validationContext}`;
    return sendApiError(reply, invalidRequest(message));
  }
  const status = error.statusCode ?? 500;
  if (status === 429) return sendApiError(reply, new DomainError(ErrorCode.RateLimited, error.message));
  if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE" || error.code === "FST_ERR_CTP_INVALID_CONTENT_LENGTH") {
    return sendApiError(reply, invalidRequest("invalid json body"));
  }
  if (status >= 400 && status < 500) {
    return sendApiError(reply, new ApiError(status, "INVALID_REQUEST", error.message));
  }
  return sendApiError(reply, new DomainError(ErrorCode.Internal, "internal server error"), error);
}

export async function buildApp(ctx: AppContext, app: FastifyInstance): Promise<FastifyInstance> {
  app.addHook("onRequest", async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });
  app.setErrorHandler(errorHandler);
  // DNS rebinding: only a Host that nobody else can point at this machine goes on (auth/host.ts), on every
  // route and before auth. Made on first use: the route-table tests build the app on a stand-in context.
  let hosts: HostCheck | undefined;
  app.addHook("onRequest", async (request) => {
    hosts ??= new HostCheck(ctx.config.host, ctx.config.allowedHosts);
    if (!hosts.allows(request.headers.host)) {
      request.log.debug({ host: request.headers.host }, "request host denied");
      throw new DomainError(ExtraErrorCode.HostDenied, HOST_DENIED_MESSAGE);
    }
  });
  const routes = new RouteMethods();
  routes.track(app);
  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split("?")[0] ?? "/";
    // Under /api/ the answer (405 + Allow, or 404) tells which routes exist: only a client with the token hears
    // it; without one it is the guard's 401 (or 403, 429) like every API route.
    if (path.startsWith("/api/")) guardRequest(ctx, request, reply);
    const allow = routes.allowed(path);
    if (allow.length) {
      reply
        .code(405)
        .header("Allow", allow.join(", "))
        .type("application/json")
        .send(envelope("METHOD_NOT_ALLOWED", `method ${request.method} not allowed for ${path}`));
      return reply;
    }
    return reply
      .code(404)
      .type("application/json")
      .send(envelope("NOT_FOUND", `no route for ${request.method} ${path}`));
  });
  // A plain request to a WebSocket endpoint (no upgrade): the spec's 400 `bad websocket request`, in text.
  for (const url of ["/ws/tmux", "/ws/events"]) {
    app.get(url, (_request, reply) => {
      reply.code(400).type("text/plain; charset=utf-8").send("bad websocket request\n");
    });
  }

  await app.register(async (api) => {
    await api.register(rateLimit, {
      global: true,
      max: ctx.config.rateLimit.max,
      timeWindow: ctx.config.rateLimit.windowMs,
      errorResponseBuilder: (_request, context) => ({
        statusCode: 429,
        code: "RATE_LIMITED",
        message: `rate limit exceeded; retry in ${context.after}`,
      }),
    });
    registerJsonBodyParser(api);
    registerApiGuard(api, ctx);
    registerSessionParamCheck(api);
    const typed = api.withTypeProvider<TypeBoxTypeProvider>();
    registerMetaRoutes(typed, ctx);
    registerFsRoutes(typed, ctx);
    registerAuthRoutes(typed, ctx);
    registerSessionRoutes(typed, ctx);
    registerWindowRoutes(typed, ctx);
    registerActivityRoutes(typed, ctx);
    registerGuardrailRoutes(typed, ctx);
    registerRecordingRoutes(typed, ctx);
    registerRecoveryRoutes(typed, ctx);
    registerOpsRoutes(typed, ctx);
    registerOpsServiceRoutes(typed, ctx);
    registerOpsConfigRoutes(typed, ctx);
    registerOpsRunbookRoutes(typed, ctx);
    if (typeof __SENTINEL_BENCH__ === "undefined" || __SENTINEL_BENCH__) {
      const bench = await import("./http/benchRoutes.js");
      if (bench.benchEventsEnabled()) bench.registerBenchRoutes(typed, ctx);
    }
  });
  return app;
}

export function createFastify(ctx: Pick<AppContext, "config">): FastifyInstance {
  return Fastify(fastifyOptions(ctx.config.logLevel));
}
