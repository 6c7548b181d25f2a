// Which methods the API serves on a path, for the 405 + Allow answer to a known path called with the wrong
// method (spec §0.2). Fastify's own 404 handler cannot tell a wrong method from an unknown path, so every
// registered route is recorded here as a pattern (`:param` matches one segment, `*` the rest).
import type { FastifyInstance } from "fastify";

interface RoutePattern {
  regex: RegExp;
  methods: Set<string>;
}

const toRegex = (url: string) =>
  new RegExp(
    `^${url
      .split("/")
      .map((segment) =>
        segment === "*"
          ? ".*"
          : segment.startsWith(":")
            ? "[^/]+"
            : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
      )
      .join("/")}/?$`,
  );

export class RouteMethods {
  private readonly patterns = new Map<string, RoutePattern>();

  /** Records the routes registered on `app` from now on (call before registering them). */
  track(app: FastifyInstance): void {
    app.addHook("onRoute", (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      let pattern = this.patterns.get(route.url);
      if (!pattern) {
        pattern = { regex: toRegex(route.url), methods: new Set() };
        this.patterns.set(route.url, pattern);
      }
      for (const m of methods) pattern.methods.add(m.toUpperCase());
    });
  }

  /** The methods served on this path (HEAD comes with GET), sorted; empty when no route matches it. */
  allowed(path: string): string[] {
    const methods = new Set<string>();
    for (const { regex, methods: own } of this.patterns.values()) {
      if (!regex.test(path)) continue;
      for (const m of own) methods.add(m);
    }
    return [...methods].sort();
  }
}
