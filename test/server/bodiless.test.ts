// Browser-shaped requests (issue 14, item 1): a browser sends `Content-Type: application/json` on a DELETE or
// an empty POST. Every route that takes no body (read from fastify's route table, so a new route is covered
// the day it is added) must accept that, and every route that takes one must still refuse an empty body with
// the spec's `400 invalid json body` (§0.3). Against the real server and a real tmux on a private socket.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type RouteInfo, routeTable } from "./routeTable.js";
import { type ServerHandle, startServer } from "./serverFixture.js";
import { startTmux, type TmuxFixture } from "./tmuxFixture.js";

let tmux: TmuxFixture;
let server: ServerHandle;
let routes: RouteInfo[];

before(async () => {
  routes = await routeTable();
  tmux = await startTmux();
  for (const s of ["alpha", "victim"]) await tmux.newSession(s);
  server = await startServer({ tmuxSocket: tmux.socket });
});

after(async () => {
  await server?.stop();
  await tmux?.close();
});

/**
 * A value for each path parameter that passes its syntax check: the live session `alpha` (DELETE of a session
 * kills `victim`), ids that do not exist for everything else, so no runbook, schedule or service action runs.
 */
function pathOf(route: RouteInfo): string {
  return route.url.replace(/:(\w+)/g, (_m, name: string) => {
    if (name === "session") return route.method === "DELETE" ? "victim" : "alpha";
    if (name === "snapshot" || name === "alert") return "999999";
    if (name === "id") return "00000000-0000-4000-8000-000000000000";
    return `no-such-${name}`;
  });
}

const isInvalidJson = (status: number, text: string) =>
  status === 400 && /"message":"invalid json body/.test(text);

describe("empty bodies with Content-Type: application/json", () => {
  test("the route table is read from fastify and has routes with and without bodies", () => {
    const mutating = routes.filter((r) => r.method !== "GET");
    assert.ok(mutating.length > 30, `only ${mutating.length} non-GET routes`);
    assert.ok(mutating.some((r) => r.bodySchema));
    assert.ok(mutating.some((r) => !r.bodySchema));
  });

  test("every route without a body accepts an empty one; every route with a body refuses it", async () => {
    const failures: string[] = [];
    const mutating = routes.filter((r) => r.method !== "GET");
    for (const route of mutating) {
      const path = pathOf(route) + (route.method === "DELETE" ? "?confirm=1" : "");
      // With an explicit `Content-Length: 0` (what browsers send on an empty POST) and with none at all.
      for (const body of ["", undefined]) {
        const res = await server.api(path, {
          method: route.method,
          headers: { "content-type": "application/json" },
          ...(body === undefined ? {} : { body }),
        });
        const text = await res.text();
        const label = `${route.method} ${path} (${body === undefined ? "no body" : "Content-Length: 0"})`;
        if (res.status >= 500 && res.status !== 503) failures.push(`${label}: ${res.status} ${text}`);
        // A route with a body may answer an earlier check first (an unknown resource, a feature switched off,
        // the restore body that may be empty, spec §0.3): it must never take an empty body as a valid one.
        if (route.bodySchema && res.status < 400) {
          failures.push(`${label} takes a body: wanted an error, got ${res.status} ${text}`);
        }
        if (!route.bodySchema && isInvalidJson(res.status, text)) {
          failures.push(`${label} takes no body: ${res.status} ${text}`);
        }
      }
    }
    assert.deepEqual(failures, []);
  });

  test("routes that take a body still refuse an empty one with 400 invalid json body", async () => {
    const bodyRoutes: Array<[string, string]> = [
      ["POST", "/api/tmux/sessions"],
      ["PATCH", "/api/tmux/sessions/alpha"],
      ["POST", "/api/tmux/sessions/alpha/rename-window"],
      ["PUT", "/api/tmux/presence"],
      ["POST", "/api/ops/guardrails/evaluate"],
      ["POST", "/api/recordings"],
      ["PATCH", "/api/ops/config"],
      ["POST", "/api/ops/runbooks"],
      ["POST", "/api/ops/schedules"],
    ];
    for (const [method, path] of bodyRoutes) {
      assert.ok(
        routes.some((r) => r.method === method && path === r.url.replace(/:\w+/, "alpha") && r.bodySchema),
        `${method} ${path} is a body route in the table`,
      );
      const res = await server.api(path, {
        method,
        headers: { "content-type": "application/json" },
        body: "",
      });
      const text = await res.text();
      assert.ok(isInvalidJson(res.status, text), `${method} ${path}: ${res.status} ${text}`);
    }
  });

  test("the web client's Kill Session and Acknowledge Alert, as a browser sends them", async () => {
    await tmux.newSession("doomed");
    const kill = await server.api("/api/tmux/sessions/doomed?confirm=1", {
      method: "DELETE",
      headers: { "content-type": "application/json" },
    });
    assert.equal(kill.status, 204, await kill.text());
    const left = await tmux.tmux("list-sessions", "-F", "#{session_name}");
    assert.ok(!left.split("\n").includes("doomed"), left);
    const ack = await server.api("/api/ops/alerts/999999/ack", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "",
    });
    const text = await ack.text();
    assert.equal(ack.status, 404, text);
    assert.equal((JSON.parse(text) as { error: { code: string } }).error.code, "OPS_ALERT_NOT_FOUND");
  });

  test("a body that is not empty is still read strictly on a route without a body schema", async () => {
    const res = await server.api("/api/ops/runbooks", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    const text = await res.text();
    assert.ok(isInvalidJson(res.status, text), `${res.status} ${text}`);
  });
});
