/// <reference types="mocha" />
// The Events view stays bounded under a burst of 5,000 events (the server's bench-only event source, enabled by
// the test host with SENTINEL_BENCH_EVENTS=1), newest first, and redraws a handful of times, not 5,000.
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { recordMetric, waitFor } from "./support/env.js";
import { runningSentinel } from "./support/sentinel.js";

describe("Events view", () => {
  it("stays bounded under a burst of 5,000 events", async function () {
    this.timeout(60_000);
    const api = await runningSentinel();
    await vscode.commands.executeCommand("sentinel.events.focus");
    await waitFor(() => api.events().state === "open", "the events socket");
    const before = api.eventsView();
    const rendersBefore = before.renders;
    const t0 = performance.now();
    const burst = await api.apiRequest<{ firstEventId: number; lastEventId: number }>(
      "POST",
      "/api/bench/events",
      {
        count: 5000,
      },
    );
    assert.equal(burst.lastEventId - burst.firstEventId, 4999);
    // Events may be dropped for a slow connection (the server's bounded queue, then a reconcile notice); either
    // way the list is bounded, and it ends with the burst's newest event that reached this window.
    const settled = await waitFor(
      () => {
        const info = api.eventsView();
        // Another event may land after the burst (an ops alert, a recovery notice): the burst need not be first.
        return info.received - before.received >= info.capacity &&
          info.rows.some((r) => r.type === "bench.tick")
          ? info
          : undefined;
      },
      "the burst in the Events view",
      30_000,
    );
    // The view draws the list (VS Code asks for its rows) after the burst, once or a few times, not per event.
    await vscode.commands.executeCommand("sentinel.events.focus");
    await waitFor(
      () => api.eventsView().renders > rendersBefore,
      "the Events view to draw the burst",
      10_000,
    );
    await new Promise((r) => setTimeout(r, 500));
    const info = api.eventsView();
    recordMetric({
      metric: "events_view_burst_5000",
      value: Math.round(performance.now() - t0),
      unit: "ms",
      received: info.received - before.received,
      renders: info.renders - rendersBefore,
    });
    assert.equal(info.capacity, 500);
    assert.ok(info.size <= info.capacity, `size ${info.size}`);
    assert.ok(info.rows.length <= info.capacity, `rows ${info.rows.length}`);
    assert.ok(info.rendered > 0 && info.rendered <= info.capacity, `rendered ${info.rendered}`);
    assert.ok(settled.received > before.received);
    assert.ok(info.renders - rendersBefore < 200, `renders ${info.renders - rendersBefore}`);
  });

  it("filters, and the filter clears", async () => {
    const api = await runningSentinel();
    await vscode.commands.executeCommand("sentinel.filterEvents", { text: "no such event anywhere" });
    assert.equal(api.eventsView().rows.length, 0);
    assert.equal(api.eventsView().filter.text, "no such event anywhere");
    await vscode.commands.executeCommand("sentinel.clearEventsFilter");
    assert.ok(api.eventsView().rows.length > 0);
  });

  it("the Ops and Recovery views say what the server provides, never fake rows", async () => {
    const api = await runningSentinel();
    await vscode.commands.executeCommand("sentinel.refreshOps");
    await vscode.commands.executeCommand("sentinel.refreshRecovery");
    for (const [name, view] of [
      ["ops", api.opsView()],
      ["recovery", api.recoveryView()],
    ] as const) {
      console.log(
        `${name} view: ${view.state}${view.error ? ` (${view.error})` : ""}: ${view.rows.map((r) => `${r.label} [${r.description ?? ""}]`).join(", ")}`,
      );
      assert.ok(["missing", "disabled", "available", "error"].includes(view.state), view.state);
      if (view.state !== "available") assert.deepEqual(view.rows, []);
      assert.equal(api.contextKeys()[`sentinel.${name}State`] ?? view.state, view.state);
    }
    // This server has the ops routes: the view lists the host from its overview.
    const ops = api.opsView();
    if (ops.state === "available") assert.equal(ops.rows[0]?.id, "ops:overview");
  });
});
