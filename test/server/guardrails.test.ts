// Guardrails (spec §6, §1.10) against the real server and a real tmux on a private socket: the interception
// points with block, confirm (with and without confirmation, by header and by query), warn, allow, disabled
// rules and priority order; the audit rows each outcome writes; `tmux.guardrail.blocked` on /ws/events; the
// rules, audit and evaluate endpoints and their bad inputs. Every effect on tmux is checked with tmux itself.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";
import type { EventEnvelope } from "../../src/protocol/events.js";
import type {
  GuardrailAuditEntry,
  GuardrailBlockedPayload,
  GuardrailDecision,
  GuardrailRule,
} from "../../src/protocol/guardrails.js";
import { type ServerHandle, startServer } from "./serverFixture.js";
import { startTmux, type TmuxFixture, waitFor } from "./tmuxFixture.js";

let tmux: TmuxFixture;
let server: ServerHandle;

before(async () => {
  tmux = await startTmux();
  for (const s of ["keep", "victim", "qvictim", "wins", "panes", "spare"]) await tmux.newSession(s);
  server = await startServer({ tmuxSocket: tmux.socket });
});

after(async () => {
  await server?.stop();
  await tmux?.close();
});

const RULES = "/api/ops/guardrails/rules";
const CONFIRM = { "x-sentinel-guardrail-confirm": "true" };
const KILL_RULE = "action.session.kill.confirm";
const RM_RULE = "command.rm.root.block";

const base = (s: string) => `/api/tmux/sessions/${s}`;
const post = (path: string, json?: unknown, headers: Record<string, string> = {}) =>
  server.api(path, { method: "POST", headers, ...(json === undefined ? {} : { json }) });
const del = (path: string, headers: Record<string, string> = {}) =>
  server.api(path, { method: "DELETE", headers });
const patchRule = (id: string, json: unknown) => server.api(`${RULES}/${id}`, { method: "PATCH", json });

const sessions = async () =>
  (await tmux.tmux("list-sessions", "-F", "#{session_name}")).trim().split("\n").filter(Boolean);
const windowIndexes = async (s: string) =>
  (await tmux.tmux("list-windows", "-t", `=${s}`, "-F", "#{window_index}")).trim().split("\n").map(Number);
const paneIds = async (s: string) =>
  (await tmux.tmux("list-panes", "-s", "-t", `=${s}:`, "-F", "#{pane_id}")).trim().split("\n");

async function json<T>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  return (JSON.parse(text) as { data: T }).data;
}

async function expectNoContent(res: Response) {
  const text = await res.text();
  assert.equal(res.status, 204, text);
}

async function expectError(res: Response, status: number, code: string, message?: string | RegExp) {
  const text = await res.text();
  assert.equal(res.status, status, text);
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
  const body = JSON.parse(text) as { error: { code: string; message: string; details?: unknown } };
  assert.equal(body.error.code, code, text);
  if (typeof message === "string") assert.equal(body.error.message, message);
  else if (message) assert.match(body.error.message, message);
  return body.error;
}

/** A 409/428 carries `details.decision` and nothing else. */
async function expectRefusal(res: Response, status: 409 | 428, ruleId: string): Promise<GuardrailDecision> {
  const error = await expectError(
    res,
    status,
    status === 409 ? "GUARDRAIL_BLOCKED" : "GUARDRAIL_CONFIRM_REQUIRED",
  );
  const details = error.details as { decision: GuardrailDecision };
  assert.deepEqual(Object.keys(details), ["decision"]);
  const { decision } = details;
  assert.equal(decision.matchedRuleId, ruleId);
  assert.equal(error.message, decision.message);
  assert.equal(decision.mode, status === 409 ? "block" : "confirm");
  assert.equal(decision.allowed, status !== 409);
  assert.equal(decision.requireConfirm, status === 428);
  return decision;
}

const rules = async () => (await json<{ rules: GuardrailRule[] }>(await server.api(RULES))).rules;
const audit = async (limit = 500) =>
  (await json<{ audit: GuardrailAuditEntry[] }>(await server.api(`/api/ops/guardrails/audit?limit=${limit}`)))
    .audit;
/** Audit rows written after `since` (an audit row id), oldest first. */
const auditSince = async (since: number) => (await audit()).filter((r) => r.id > since).reverse();
const lastAuditId = async () => (await audit(1))[0]?.id ?? 0;

/** Adds a rule for the length of `fn`, then deletes it. */
async function withRule(id: string, rule: Record<string, unknown>, fn: () => Promise<void>) {
  await json(await patchRule(id, { enabled: true, ...rule }));
  try {
    await fn();
  } finally {
    await json(await del(`${RULES}/${id}`));
  }
}

/** A /ws/events subscriber collecting `tmux.guardrail.blocked` events. */
async function subscribe() {
  const ws = new WebSocket(`${server.url.replace("http", "ws")}/ws/events`, ["sentinel.v1"], {
    headers: { authorization: `Bearer ${server.token}` },
  });
  const events: Array<EventEnvelope<GuardrailBlockedPayload>> = [];
  let ready = false;
  ws.on("message", (data) => {
    const message = JSON.parse(data.toString()) as EventEnvelope<GuardrailBlockedPayload>;
    if (message.type === "events.ready") ready = true;
    if (message.type === "tmux.guardrail.blocked") events.push(message);
  });
  ws.on("error", () => undefined);
  await waitFor(() => ready, 5000, "events.ready");
  return {
    events,
    close: async () => {
      const closed = new Promise((resolve) => ws.once("close", resolve));
      ws.close();
      await closed;
    },
  };
}

describe("seeded rules", () => {
  test("both are listed in priority order with their exact fields", async () => {
    const list = await rules();
    assert.deepEqual(
      list.map(({ createdAt, updatedAt, ...rest }) => {
        assert.match(createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        assert.match(updatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        return rest;
      }),
      [
        {
          id: RM_RULE,
          name: "Block rm -rf /",
          scope: "command",
          pattern: "(?i)(^|\\s)rm\\s+-rf\\s+/($|\\s)",
          mode: "block",
          severity: "error",
          message: "Blocked dangerous command pattern: rm -rf /",
          enabled: true,
          priority: 5,
        },
        {
          id: KILL_RULE,
          name: "Confirm session kill",
          scope: "action",
          pattern: "^session\\.kill$",
          mode: "confirm",
          severity: "warn",
          message: "Session termination requires explicit confirmation.",
          enabled: true,
          priority: 10,
        },
      ],
    );
  });
});

describe("confirm: killing a session", () => {
  test("428 without confirmation, tmux untouched, audited and published; the header confirms", async () => {
    const sub = await subscribe();
    try {
      const since = await lastAuditId();
      const decision = await expectRefusal(await del(base("victim")), 428, KILL_RULE);
      assert.deepEqual(decision, {
        mode: "confirm",
        allowed: true,
        requireConfirm: true,
        message: "Session termination requires explicit confirmation.",
        matchedRuleId: KILL_RULE,
        matchedRules: (await rules()).filter((r) => r.id === KILL_RULE),
      });
      assert.ok((await sessions()).includes("victim"));
      // Values that are not a yes do not confirm.
      for (const value of ["0", "false", "no", ""]) {
        await expectRefusal(
          await del(base("victim"), { "x-sentinel-guardrail-confirm": value }),
          428,
          KILL_RULE,
        );
        await expectRefusal(await del(`${base("victim")}?confirm=${value}`), 428, KILL_RULE);
      }
      assert.ok((await sessions()).includes("victim"));

      await waitFor(() => sub.events.length >= 9, 5000, "tmux.guardrail.blocked events");
      const first = sub.events[0]!;
      assert.equal(first.type, "tmux.guardrail.blocked");
      assert.ok(first.eventId > 0);
      assert.deepEqual(first.payload, { action: "session.kill", session: "victim", paneId: "", decision });

      await expectNoContent(await del(base("victim"), { "X-Sentinel-Guardrail-Confirm": " TRUE " }));
      assert.ok(!(await sessions()).includes("victim"));
      const rows = await auditSince(since);
      assert.deepEqual(
        rows.map((r) => [r.reason, r.override, r.decision, r.ruleId]),
        [
          ...Array.from({ length: 9 }, () => ["confirm-required", false, "confirm", KILL_RULE]),
          ["confirmed", true, "confirm", KILL_RULE],
        ],
      );
      const last = rows.at(-1)!;
      assert.deepEqual(
        { ...last, id: 0, createdAt: "" },
        {
          id: 0,
          ruleId: KILL_RULE,
          decision: "confirm",
          action: "session.kill",
          command: "",
          sessionName: "victim",
          windowIndex: -1,
          paneId: "",
          override: true,
          reason: "confirmed",
          metadata: '{"matchedRules":1,"mode":"confirm"}',
          createdAt: "",
        },
      );
      assert.match(last.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      // A confirmed kill publishes no guardrail event.
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(sub.events.length, 9);
    } finally {
      await sub.close();
    }
  });

  test("the query confirms too (?confirm=1, yes, confirmed)", async () => {
    await expectRefusal(await del(base("qvictim")), 428, KILL_RULE);
    await expectNoContent(await del(`${base("qvictim")}?confirm=yes`));
    assert.ok(!(await sessions()).includes("qvictim"));
    await tmux.newSession("qvictim");
    await expectNoContent(await del(`${base("qvictim")}?confirm=1`));
    await tmux.newSession("qvictim");
    await expectNoContent(await del(`${base("qvictim")}?confirm=Confirmed`));
    assert.ok(!(await sessions()).includes("qvictim"));
  });

  test("a bad session name is 400 before the guardrail; a missing session is 404 after it", async () => {
    const since = await lastAuditId();
    await expectError(await del(base("a%20b")), 400, "INVALID_REQUEST", "invalid session name");
    assert.equal((await auditSince(since)).length, 0);
    await expectRefusal(await del(base("nope")), 428, KILL_RULE);
    await expectError(await del(base("nope"), CONFIRM), 404, "SESSION_NOT_FOUND");
  });
});

describe("block", () => {
  test("409 whatever the confirmation; tmux untouched; audited 'blocked'; published", async () => {
    await withRule(
      "test.window.kill.block",
      { scope: "action", pattern: "^window\\.kill$", mode: "block", message: "windows stay" },
      async () => {
        const sub = await subscribe();
        try {
          const since = await lastAuditId();
          const before = await windowIndexes("wins");
          await tmux.tmux("new-window", "-d", "-t", "=wins:1");
          const decision = await expectRefusal(
            await post(`${base("wins")}/kill-window`, { index: 1 }),
            409,
            "test.window.kill.block",
          );
          assert.equal(decision.message, "windows stay");
          await expectRefusal(
            await post(`${base("wins")}/kill-window?confirm=1`, { index: 1 }, CONFIRM),
            409,
            "test.window.kill.block",
          );
          assert.deepEqual(await windowIndexes("wins"), [...before, 1]);
          const rows = await auditSince(since);
          assert.deepEqual(
            rows.map((r) => [r.reason, r.override, r.decision, r.action, r.sessionName, r.windowIndex]),
            [
              ["blocked", false, "block", "window.kill", "wins", 1],
              ["blocked", false, "block", "window.kill", "wins", 1],
            ],
          );
          await waitFor(() => sub.events.length >= 2, 5000, "blocked events");
          assert.deepEqual(sub.events[0]!.payload, {
            action: "window.kill",
            session: "wins",
            paneId: "",
            decision,
          });
        } finally {
          await sub.close();
        }
      },
    );
    // Without the rule, the window can be killed.
    await expectNoContent(await post(`${base("wins")}/kill-window`, { index: 1 }));
  });

  test("session.create is guarded: blocked means no session", async () => {
    await withRule(
      "test.create.block",
      { scope: "action", pattern: "^session\\.create$", mode: "block" },
      async () => {
        const decision = await expectRefusal(
          await post("/api/tmux/sessions", { name: "fresh" }),
          409,
          "test.create.block",
        );
        assert.equal(decision.message, "operation blocked by guardrail policy");
        assert.ok(!(await sessions()).includes("fresh"));
        // Field validation still comes first.
        await expectError(await post("/api/tmux/sessions", { name: "bad name" }), 400, "INVALID_REQUEST");
      },
    );
    await json(await post("/api/tmux/sessions", { name: "fresh" }), 201);
    assert.ok((await sessions()).includes("fresh"));
  });

  test("new-window, kill-pane and split-pane are guarded", async () => {
    const [pane] = await paneIds("panes");
    await withRule(
      "test.pane.block",
      { scope: "action", pattern: "^(pane\\.|window\\.create$)", mode: "block" },
      async () => {
        const since = await lastAuditId();
        const windows = await windowIndexes("panes");
        await expectRefusal(await post(`${base("panes")}/new-window`), 409, "test.pane.block");
        await expectRefusal(
          await post(`${base("panes")}/split-pane`, { paneId: pane, direction: "vertical" }),
          409,
          "test.pane.block",
        );
        await expectRefusal(
          await post(`${base("panes")}/kill-pane`, { paneId: pane }),
          409,
          "test.pane.block",
        );
        assert.deepEqual(await windowIndexes("panes"), windows);
        assert.deepEqual(await paneIds("panes"), [pane]);
        assert.deepEqual(
          (await auditSince(since)).map((r) => [r.action, r.sessionName, r.windowIndex, r.paneId]),
          [
            ["window.create", "panes", -1, ""],
            ["pane.split", "panes", -1, pane],
            ["pane.kill", "panes", -1, pane],
          ],
        );
      },
    );
  });
});

describe("warn, allow, disabled, priority", () => {
  test("warn proceeds and is audited 'warn'; an allow rule is audited with no reason; no match is not audited", async () => {
    const [pane] = await paneIds("panes");
    await withRule(
      "test.split.warn",
      { scope: "action", pattern: "^pane\\.split$", mode: "warn" },
      async () => {
        await withRule(
          "test.newwin.allow",
          { scope: "action", pattern: "^window\\.create$", mode: "allow" },
          async () => {
            const since = await lastAuditId();
            await expectNoContent(
              await post(`${base("panes")}/split-pane`, { paneId: pane, direction: "horizontal" }),
            );
            assert.equal((await paneIds("panes")).length, 2);
            await expectNoContent(await post(`${base("panes")}/new-window`));
            const rows = await auditSince(since);
            assert.deepEqual(
              rows.map((r) => [r.action, r.reason, r.decision, r.ruleId, r.override, r.metadata]),
              [
                ["pane.split", "warn", "warn", "test.split.warn", false, '{"matchedRules":1,"mode":"warn"}'],
                [
                  "window.create",
                  "",
                  "allow",
                  "test.newwin.allow",
                  false,
                  '{"matchedRules":1,"mode":"allow"}',
                ],
              ],
            );
          },
        );
      },
    );
    const since = await lastAuditId();
    await expectNoContent(await post(`${base("panes")}/new-window`));
    await expectNoContent(await post(`${base("spare")}/select-window`, { index: 0 }));
    assert.equal((await auditSince(since)).length, 0);
  });

  test("a disabled rule has no effect; enabling it again restores it", async () => {
    const kill = (await rules()).find((r) => r.id === KILL_RULE)!;
    await json(await patchRule(KILL_RULE, { pattern: kill.pattern, enabled: false }));
    try {
      const since = await lastAuditId();
      await expectNoContent(await del(base("spare")));
      assert.ok(!(await sessions()).includes("spare"));
      assert.equal((await auditSince(since)).length, 0);
    } finally {
      await json(await patchRule(KILL_RULE, { pattern: kill.pattern, enabled: true }));
    }
    const restored = (await rules()).find((r) => r.id === KILL_RULE)!;
    assert.deepEqual({ ...restored, updatedAt: "" }, { ...kill, updatedAt: "" });
    await tmux.newSession("spare");
    await expectRefusal(await del(base("spare")), 428, KILL_RULE);
  });

  test("priority order: the strongest mode wins; between equals the lower priority number wins", async () => {
    // A block with a larger priority number still beats the seeded confirm (priority 10).
    await withRule(
      "test.kill.block",
      { scope: "action", pattern: "^session\\.kill$", mode: "block", priority: 500 },
      async () => {
        const decision = await expectRefusal(await del(base("keep"), CONFIRM), 409, "test.kill.block");
        assert.deepEqual(
          decision.matchedRules.map((r) => r.id),
          [KILL_RULE, "test.kill.block"],
        );
      },
    );
    // Another confirm before the seeded one (priority 1 < 10) wins with its own message.
    await withRule(
      "test.kill.confirm.first",
      { scope: "action", pattern: "session", mode: "confirm", priority: 1, message: "first" },
      async () => {
        const decision = await expectRefusal(await del(base("keep")), 428, "test.kill.confirm.first");
        assert.equal(decision.message, "first");
        assert.deepEqual(
          decision.matchedRules.map((r) => r.id),
          ["test.kill.confirm.first", KILL_RULE],
        );
        // After it (priority 20 > 10), the seeded rule wins.
        await json(
          await patchRule("test.kill.confirm.first", { pattern: "session", enabled: true, priority: 20 }),
        );
        const later = await expectRefusal(await del(base("keep")), 428, KILL_RULE);
        assert.deepEqual(
          later.matchedRules.map((r) => r.id),
          [KILL_RULE, "test.kill.confirm.first"],
        );
      },
    );
    assert.ok((await sessions()).includes("keep"));
  });
});

describe("evaluate", () => {
  test("the rm -rf / rule blocks the command, case-insensitively; audited 'manual evaluate'", async () => {
    const since = await lastAuditId();
    const evaluate = async (body: unknown) =>
      (await json<{ decision: GuardrailDecision }>(await post("/api/ops/guardrails/evaluate", body)))
        .decision;
    const rm = await evaluate({
      command: "sudo RM -rf /",
      sessionName: "keep",
      windowIndex: 2,
      paneId: "%7",
    });
    assert.deepEqual(
      { ...rm, matchedRules: rm.matchedRules.map((r) => r.id) },
      {
        mode: "block",
        allowed: false,
        requireConfirm: false,
        message: "Blocked dangerous command pattern: rm -rf /",
        matchedRuleId: RM_RULE,
        matchedRules: [RM_RULE],
      },
    );
    for (const safe of ["rm -rf /tmp/x", "rm -rf ./build", "echo rm -rf", ""]) {
      assert.equal((await evaluate({ command: safe })).mode, "allow", safe);
    }
    assert.deepEqual(await evaluate({}), {
      mode: "allow",
      allowed: true,
      requireConfirm: false,
      message: "",
      matchedRuleId: "",
      matchedRules: [],
    });
    assert.equal((await evaluate({ action: "session.kill" })).mode, "confirm");
    // Command rules do not look at the action, and the other way round.
    assert.equal((await evaluate({ action: "rm -rf /" })).mode, "allow");
    assert.equal((await evaluate({ command: "session.kill" })).mode, "allow");

    const rows = await auditSince(since);
    assert.equal(rows.length, 9, "every evaluation is audited, matched or not");
    assert.ok(rows.every((r) => r.reason === "manual evaluate" && !r.override));
    assert.deepEqual(
      { ...rows[0]!, id: 0, createdAt: "" },
      {
        id: 0,
        ruleId: RM_RULE,
        decision: "block",
        action: "",
        command: "sudo RM -rf /",
        sessionName: "keep",
        windowIndex: 2,
        paneId: "%7",
        override: false,
        reason: "manual evaluate",
        metadata: '{"matchedRules":1,"mode":"block"}',
        createdAt: "",
      },
    );
    assert.equal(rows[5]!.windowIndex, 0, "a missing windowIndex is 0");
  });

  test("a pattern that hangs a backtracking engine is evaluated in linear time (RE2), without stalling the server", async (t) => {
    // `^(a|a)+$` against 28 a's and "!" froze the server for 3.7 s with JavaScript's RegExp, doubling per "a".
    await json(await patchRule("test.redos", { pattern: "^(a|a)+$", mode: "block", enabled: true }));
    try {
      for (const n of [28, 64, 100_000]) {
        const command = `${"a".repeat(n)}!`;
        const started = performance.now();
        const decision = (
          await json<{ decision: GuardrailDecision }>(await post("/api/ops/guardrails/evaluate", { command }))
        ).decision;
        const ms = performance.now() - started;
        t.diagnostic(`evaluate ^(a|a)+$ against ${n} a's + "!" over HTTP: ${ms.toFixed(1)} ms`);
        assert.equal(decision.mode, "allow");
        // Generous for a loaded 2-core machine; the figure above is what to look at.
        assert.ok(ms < 1000, `${n}: ${ms.toFixed(1)} ms`);
      }
      const hit = await json<{ decision: GuardrailDecision }>(
        await post("/api/ops/guardrails/evaluate", { command: "a".repeat(40) }),
      );
      assert.equal(hit.decision.matchedRuleId, "test.redos");
    } finally {
      await json(await del(`${RULES}/test.redos`));
    }
  });

  test("bad inputs", async () => {
    const url = "/api/ops/guardrails/evaluate";
    await expectError(await post(url, { paneId: "7" }), 400, "INVALID_REQUEST", "paneId must start with %");
    await expectError(await post(url, { paneId: "%x" }), 400, "INVALID_REQUEST", "paneId must start with %");
    for (const raw of [
      "",
      "{",
      "[]",
      '{"unknown":1}',
      '{"command":1}',
      '{"windowIndex":"1"}',
      '{"windowIndex":1.5}',
    ]) {
      await expectError(await post(url, raw), 400, "INVALID_REQUEST", "invalid json body");
    }
    await expectError(
      await post(url, "{} {}"),
      400,
      "INVALID_REQUEST",
      "invalid json body: multiple json values",
    );
  });
});

describe("rules endpoint", () => {
  test("PATCH creates, normalises and updates; the answer is every rule; DELETE removes", async () => {
    const created = (
      await json<{ rules: GuardrailRule[] }>(
        await patchRule("test.crud", {
          name: " My rule ",
          scope: "Whatever",
          pattern: "(?i)^git push --force",
          mode: "nonsense",
          severity: "critical",
          message: "careful",
          enabled: true,
          priority: 50,
        }),
      )
    ).rules;
    assert.deepEqual(
      created.map((r) => r.id),
      [RM_RULE, KILL_RULE, "test.crud"],
    );
    const rule = created.find((r) => r.id === "test.crud")!;
    assert.deepEqual(
      { ...rule, createdAt: "", updatedAt: "" },
      {
        id: "test.crud",
        name: "My rule",
        scope: "command",
        pattern: "(?i)^git push --force",
        mode: "allow",
        severity: "warn",
        message: "careful",
        enabled: true,
        priority: 50,
        createdAt: "",
        updatedAt: "",
      },
    );

    // Update: fields not sent are kept; the new priority reorders the list.
    const updated = (
      await json<{ rules: GuardrailRule[] }>(
        await patchRule("test.crud", { pattern: "^git push -f", enabled: false, mode: "WARN", priority: 1 }),
      )
    ).rules;
    assert.deepEqual(
      updated.map((r) => r.id),
      ["test.crud", RM_RULE, KILL_RULE],
    );
    assert.deepEqual(
      { ...updated[0]!, updatedAt: "" },
      { ...rule, pattern: "^git push -f", enabled: false, mode: "warn", priority: 1, updatedAt: "" },
    );
    assert.deepEqual(await rules(), updated);

    const afterDelete = (await json<{ rules: GuardrailRule[] }>(await del(`${RULES}/test.crud`))).rules;
    assert.deepEqual(
      afterDelete.map((r) => r.id),
      [RM_RULE, KILL_RULE],
    );
    await expectError(await del(`${RULES}/test.crud`), 404, "GUARDRAIL_RULE_NOT_FOUND");
  });

  test("bad inputs are 400 and store nothing", async () => {
    const before = await rules();
    const cases: Array<[string, unknown, string | RegExp]> = [
      ["test.bad", { enabled: true }, "pattern is required"],
      ["test.bad", { pattern: "  ", enabled: true }, "pattern is required"],
      ["test.bad", { pattern: "x" }, "enabled is required"],
      ["test.bad", { pattern: "(", enabled: true }, "invalid pattern: missing closing ): `(`"],
      ["test.bad", { pattern: "a(?=b)", enabled: true }, /^invalid pattern: lookaround assertions/],
      [
        "test.bad",
        { pattern: "(a)\\1", enabled: true },
        /^invalid pattern: backreferences are not supported/,
      ],
      ["test.bad", { pattern: "a{2000}", enabled: true }, /^invalid pattern: invalid repeat count/],
      [KILL_RULE, { pattern: "[", enabled: true }, /^invalid pattern: missing closing \]/],
      ["test.bad", { pattern: "x", enabled: "yes" }, "invalid json body"],
      ["test.bad", { pattern: "x", enabled: true, priority: 1.5 }, "invalid json body"],
      ["test.bad", { pattern: "x", enabled: true, priority: "1" }, "invalid json body"],
      ["test.bad", { pattern: 1, enabled: true }, "invalid json body"],
      ["test.bad", { pattern: "x", enabled: true, color: "red" }, "invalid json body"],
      ["test.bad", "", "invalid json body"],
      ["test.bad", "{", "invalid json body"],
      ["test.bad", "[]", "invalid json body"],
      // The path parameter is checked before the body is read.
      ["bad%20id", "{not json", /^rule id must match/],
      ["bad%20id", { pattern: "x", enabled: true }, /^rule id must match/],
      ["x".repeat(65), { pattern: "x", enabled: true }, /^rule id must match/],
    ];
    for (const [id, body, message] of cases) {
      await expectError(await patchRule(id, body), 400, "INVALID_REQUEST", message);
    }
    await expectError(await del(`${RULES}/bad%20id`), 400, "INVALID_REQUEST", /^rule id must match/);
    assert.deepEqual(await rules(), before);
  });

  test("the routes need the token", async () => {
    assert.equal((await server.api(RULES, { auth: false })).status, 401);
    assert.equal((await server.api("/api/ops/guardrails/audit", { auth: false })).status, 401);
    const res = await server.api("/api/ops/guardrails/evaluate", { method: "POST", json: {}, auth: false });
    assert.equal(res.status, 401);
  });
});

describe("audit endpoint", () => {
  test("newest first; limit default 100, at most 500; 0, negative or not an integer is 400", async () => {
    for (let i = 0; i < 105; i++) {
      await json(await post("/api/ops/guardrails/evaluate", { command: `cmd ${i}` }));
    }
    const all = (await json<{ audit: GuardrailAuditEntry[] }>(await server.api("/api/ops/guardrails/audit")))
      .audit;
    assert.equal(all.length, 100);
    assert.equal(all[0]!.command, "cmd 104");
    assert.deepEqual(
      all.map((r) => r.id),
      [...all.map((r) => r.id)].sort((a, b) => b - a),
    );
    assert.equal((await audit(3)).length, 3);
    assert.deepEqual(await audit(3), all.slice(0, 3));
    const total = (await audit(500)).length;
    assert.ok(total > 105);
    assert.equal((await audit(100000)).length, Math.min(total, 500));
    const empty = await server.api("/api/ops/guardrails/audit?limit=");
    assert.equal((await json<{ audit: unknown[] }>(empty)).audit.length, 100);
    for (const bad of ["0", "-1", "abc", "1.5", "1e3", "99999999999999999999"]) {
      await expectError(
        await server.api(`/api/ops/guardrails/audit?limit=${bad}`),
        400,
        "INVALID_REQUEST",
        "limit must be a positive integer",
      );
    }
  });

  test("the server logged no internal error", () => {
    assert.doesNotMatch(server.logs(), /INTERNAL_ERROR|unhandled error|"level":50/);
  });
});
