// Telling tmux's status-line timers from commands (ADR 0025), on the times the probe's looks would give: a lone
// wake-up (one, nothing read) a status period after another is a tick; its window narrows as ticks come; off
// the phase it is not one; trains end when their ticks stop, when no session has their period any more, and with
// another tmux server.
import assert from "node:assert/strict";
import { test } from "node:test";
import { StatusTicks } from "../../src/server/watchtower/statusTicks.js";

const P = 15_000;

test("a lone wake-up one period after another is a tick, and the window narrows to where the timer fires", () => {
  const ticks = new StatusTicks();
  ticks.setSessions(100, [P, P, 0]);
  assert.equal(ticks.lone(0, 150), false, "the first one may be a command: it only starts a train");
  assert.equal(ticks.size, 1, "one train per distinct period");
  assert.equal(ticks.lone(P, P + 150), true);
  // Fired in [15000, 15150]; seen in (30100, 30250]: it fired in [30100, 30250].
  assert.equal(ticks.lone(2 * P + 100, 2 * P + 250), true);
  // So the next one is due in [45085, 45365] (15 ms of drift, 100 late): seen in (45170, 45200] it is a tick…
  assert.equal(ticks.lone(3 * P + 170, 3 * P + 200), true);
  // …fired in [45170, 45200], so the next is due in [60155, 60315]: one seen in (60320, 60450] is not…
  assert.equal(ticks.lone(4 * P + 320, 4 * P + 450), false);
  // …nor one early, seen in (60000, 60150].
  assert.equal(ticks.lone(4 * P, 4 * P + 150), false);
});

test("a tick that comes late (tmux busy) is still one, and the train follows it; an early one is not", () => {
  const ticks = new StatusTicks();
  ticks.setSessions(100, [P]);
  ticks.lone(0, 150);
  assert.equal(ticks.lone(P + 100, P + 110), true, "fired in [15100, 15110]");
  assert.equal(ticks.lone(2 * P + 180, 2 * P + 190), true, "70 ms late");
  assert.equal(ticks.lone(3 * P + 180, 3 * P + 190), true, "the train moved with it");
  assert.equal(ticks.lone(4 * P + 100, 4 * P + 150), false, "30 ms early");
});

test("off the phase, or with no status period, a lone wake-up is not a tick", () => {
  const ticks = new StatusTicks();
  ticks.setSessions(100, [P]);
  assert.equal(ticks.lone(0, 150), false);
  assert.equal(ticks.lone(7000, 7150), false, "half a period later");
  assert.equal(ticks.lone(P + 500, P + 650), false);
  const none = new StatusTicks();
  none.setSessions(100, [0]);
  assert.equal(none.lone(0, 150), false);
  assert.equal(none.lone(P, P + 150), false);
  assert.equal(none.size, 0, "no period: no train");
});

test("two clients' timers: a train each, each matching its own phase", () => {
  const ticks = new StatusTicks();
  ticks.setSessions(100, [P]);
  assert.equal(ticks.lone(0, 150), false);
  assert.equal(ticks.lone(5000, 5150), false);
  assert.equal(ticks.lone(P, P + 150), true);
  assert.equal(ticks.lone(P + 5000, P + 5150), true);
  assert.equal(ticks.lone(P + 10_000, P + 10_150), false, "a third phase is nobody's");
});

test("ticks merged into busier looks are skipped over: a train waits four periods, a first lone one two", () => {
  const ticks = new StatusTicks();
  ticks.setSessions(100, [P]);
  ticks.lone(0, 150);
  assert.equal(ticks.lone(P, P + 150), true);
  assert.equal(ticks.lone(5 * P, 5 * P + 150), true, "four periods on, still in phase");
  assert.equal(ticks.lone(10 * P, 10 * P + 150), false, "five periods without a tick: the client left");

  const candidate = new StatusTicks();
  candidate.setSessions(100, [P]);
  candidate.lone(0, 150);
  assert.equal(candidate.lone(2 * P, 2 * P + 150), true, "two periods on");
  const expired = new StatusTicks();
  expired.setSessions(100, [P]);
  expired.lone(0, 150);
  assert.equal(expired.lone(3 * P, 3 * P + 150), false, "three periods on, a first lone one is forgotten");
});

test("another tmux server, or a period no session has any more, ends the trains", () => {
  const ticks = new StatusTicks();
  ticks.setSessions(100, [P, 5000]);
  ticks.lone(0, 150);
  assert.equal(ticks.size, 2);
  ticks.setSessions(100, [5000]);
  assert.equal(ticks.size, 1, "status-interval changed: the 15 s train is gone");
  ticks.setSessions(200, [5000]);
  assert.equal(ticks.size, 0, "a new tmux server");
  assert.equal(ticks.lone(5000, 5150), false);
});
