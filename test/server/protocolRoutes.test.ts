// The protocol's route table (src/protocol/routes.ts) against what the server really serves: every route the
// extension calls through it is registered by fastify with that method and path, and a route whose table entry
// has a body declares a body schema (bodies without one would not be validated). Read from the route modules
// themselves (routeTable.ts), so a path renamed on one side only fails here. routePath fills parameters
// URI-encoded and leaves undefined query values out.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type Route, Routes, routePath } from "../../src/protocol/routes.js";
import { routeTable } from "./routeTable.js";

/** Table routes that carry a body (the rest send none). */
const WITH_BODY = new Set<string>([
  "createSession",
  "renameSession",
  "selectWindow",
  "selectPane",
  "renameWindow",
  "renamePane",
  "killWindow",
  "killPane",
  "splitPane",
  "seen",
  "presence",
  "startRecording",
  "addMarker",
  "restoreSnapshot",
]);

test("every route of the protocol's table is served by the server with its method and path", async () => {
  const served = await routeTable();
  const entries = Object.entries(Routes) as Array<[string, Route]>;
  assert.ok(entries.length >= 35, `the table has ${entries.length} routes`);
  for (const [name, route] of entries) {
    const match = served.find((r) => r.method === route.method && r.url === route.path);
    assert.ok(match, `${name}: ${route.method} ${route.path} is not a route of the server`);
    if (WITH_BODY.has(name)) assert.ok(match.bodySchema, `${name}: the server validates no body for it`);
  }
});

test("routePath fills parameters URI-encoded and appends the defined query values", () => {
  assert.equal(
    routePath(Routes.renameWindow, { session: "a b/ç" }),
    "/api/tmux/sessions/a%20b%2F%C3%A7/rename-window",
    "the parameter is encoded",
  );
  assert.equal(
    routePath(Routes.dirs, {}, { prefix: "~/src & co", limit: 12, skip: undefined }),
    "/api/fs/dirs?prefix=~%2Fsrc%20%26%20co&limit=12",
    "the query is encoded, undefined values left out",
  );
  assert.equal(routePath(Routes.sessions, {}), "/api/tmux/sessions", "no query, no ?");
});
