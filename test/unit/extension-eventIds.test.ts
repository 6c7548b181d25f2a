// Where an event's id stands against the last one seen (the reconciler's gap test).
import assert from "node:assert/strict";
import { test } from "node:test";
import { eventIdStep } from "../../src/extension/client/eventIds.js";

test("steps of the event-id stream", () => {
  assert.equal(eventIdStep(5, undefined), "untracked");
  assert.equal(eventIdStep(5, 0), "untracked");
  assert.equal(eventIdStep(5, -3), "untracked");
  assert.equal(eventIdStep(5, Number.NaN), "untracked");
  assert.equal(eventIdStep(0, 17), "first");
  assert.equal(eventIdStep(5, 6), "next");
  assert.equal(eventIdStep(5, 8), "gap");
  assert.equal(eventIdStep(5, 5), "behind");
  assert.equal(eventIdStep(5, 1), "behind", "ids that start over (another server process)");
});
