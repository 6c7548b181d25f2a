// Double-click detection of Sessions rows (views/rowClicks.ts), on a clock the test moves.
import assert from "node:assert/strict";
import { test } from "node:test";
import { DOUBLE_CLICK_MS, RowClicks } from "../../src/extension/views/rowClicks.js";

test("a second click on the same row within the limit is a double-click; a third starts over", () => {
  let now = 1000;
  const clicks = new RowClicks(() => now);
  assert.equal(clicks.click("window:a:1"), false);
  now += DOUBLE_CLICK_MS;
  assert.equal(clicks.click("window:a:1"), true);
  now += 10;
  assert.equal(clicks.click("window:a:1"), false);
  now += 10;
  assert.equal(clicks.click("window:a:1"), true);
});

test("clicks on two rows, or too far apart, are single clicks", () => {
  let now = 0;
  const clicks = new RowClicks(() => now);
  assert.equal(clicks.click("session:a"), false);
  now += 10;
  assert.equal(clicks.click("session:b"), false);
  now += DOUBLE_CLICK_MS + 1;
  assert.equal(clicks.click("session:b"), false);
  now += 1;
  assert.equal(clicks.click("session:b"), true);
});
