// The API's route table, read from fastify itself: the app is built with the real route modules (no server
// started, no request served) and every route is collected by an onRoute hook, so tests that must cover every
// route never go stale when one is added.
import Fastify from "fastify";
import { buildApp } from "../../src/server/app.js";
import type { AppContext } from "../../src/server/context.js";

export interface RouteInfo {
  method: string;
  /** fastify's pattern, `:param` for a path parameter. */
  url: string;
  /** Names of the path parameters, in order. */
  params: string[];
  /** Whether the route declares a body schema. */
  bodySchema: boolean;
  /** The body schema itself (JSON Schema, as TypeBox builds it), when there is one. */
  body?: unknown;
}

/** A stand-in for every service: route registration only reads a few config values and keeps references. */
function stub(): unknown {
  const target = () => undefined;
  return new Proxy(target, {
    get: (_t, key) => (key === Symbol.toPrimitive ? () => 0 : key === "then" ? undefined : stub()),
    apply: () => stub(),
  });
}

export async function routeTable(): Promise<RouteInfo[]> {
  const routes: RouteInfo[] = [];
  const app = Fastify({ logger: false });
  app.addHook("onRoute", (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const body = (route.schema as { body?: unknown } | undefined)?.body;
    for (const method of methods) {
      if (method === "HEAD" || method === "OPTIONS") continue;
      routes.push({
        method,
        url: route.url,
        params: route.url
          .split("/")
          .filter((s) => s.startsWith(":"))
          .map((s) => s.slice(1)),
        bodySchema: Boolean(body),
        ...(body ? { body } : {}),
      });
    }
  });
  const config = new Proxy(
    { rateLimit: { max: 1000, windowMs: 60_000 }, logLevel: "silent" },
    { get: (t, key) => (key in t ? t[key as keyof typeof t] : stub()) },
  );
  const ctx = new Proxy({ config } as Record<string | symbol, unknown>, {
    get: (t, key) => (key in t ? t[key] : stub()),
  });
  await buildApp(ctx as unknown as AppContext, app);
  await app.ready();
  await app.close();
  return routes;
}
