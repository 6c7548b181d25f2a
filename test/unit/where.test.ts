import assert from "node:assert/strict";
import { test } from "node:test";
import { Where } from "../../src/server/store/where.js";

test("Where: skips absent filters, keeps 0, escapes LIKE wildcards, parameters in clause order", () => {
  assert.equal(String(new Where().equals("a", undefined).equals("b", "").contains(["c"], "")), "");
  const w = new Where()
    .equals("session", "dev")
    .equals("window", 0)
    .contains(["x", "y"], "50%_\\")
    .atLeast("t", "2026-01-01")
    .atMost("t", undefined)
    .raw("lower(s) = lower(?)", "Ops");
  assert.equal(
    String(w),
    "WHERE session = ? AND window = ? AND (x LIKE ? ESCAPE '\\' OR y LIKE ? ESCAPE '\\') AND t >= ? AND lower(s) = lower(?)",
  );
  assert.deepEqual(w.params, ["dev", 0, "%50\\%\\_\\\\%", "%50\\%\\_\\\\%", "2026-01-01", "Ops"]);
});
