// Guardrails without a server: Go (RE2) patterns, strongest-decision evaluation, the rule model, the
// service over a real (temporary) store.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import type { GuardrailInput, GuardrailRule } from "../../src/protocol/guardrails.js";
import { isConfirmValue } from "../../src/protocol/guardrails.js";
import { isConfirmed } from "../../src/server/guardrails/enforce.js";
import { evaluateRules } from "../../src/server/guardrails/evaluate.js";
import { compileGoPattern, PatternError, patternError } from "../../src/server/guardrails/pattern.js";
import {
  normaliseMode,
  normaliseScope,
  normaliseSeverity,
  SEEDED_RULES,
} from "../../src/server/guardrails/rules.js";
import { Guardrails } from "../../src/server/guardrails/service.js";
import { Store } from "../../src/server/store/database.js";
import { GuardrailsRepo } from "../../src/server/store/guardrailsRepo.js";

const RM_ROOT = SEEDED_RULES.find((r) => r.id === "command.rm.root.block")!.pattern;

describe("Go patterns (RE2, compiled by re2js)", () => {
  test("the seeded rm -rf / pattern, with its leading (?i)", () => {
    assert.equal(RM_ROOT, "(?i)(^|\\s)rm\\s+-rf\\s+/($|\\s)");
    const re = compileGoPattern(RM_ROOT);
    for (const hit of ["rm -rf /", "RM -RF /", "sudo rm   -rf / ", "echo x; rm -rf /", "rm\t-rf\t/"]) {
      assert.ok(re.test(hit), hit);
    }
    for (const miss of ["rm -rf /tmp/x", "rm -rf ./", "farm -rf /", "rm -r /", "rm -rf", "rm -rf /home"]) {
      assert.ok(!re.test(miss), miss);
    }
  });

  test("every seeded rule compiles", () => {
    for (const seeded of SEEDED_RULES) assert.equal(patternError(seeded.pattern), undefined, seeded.id);
  });

  test("flag groups: i, m, s, several, switched off again, and (unlike JS) anywhere in the pattern", () => {
    assert.ok(compileGoPattern("(?i)abc").test("ABC"));
    assert.ok(compileGoPattern("(?is)a.c").test("A\nC"));
    assert.ok(!compileGoPattern("(?is-s)a.c").test("a\nc"));
    assert.ok(compileGoPattern("(?s)a.c").test("a\nc"));
    assert.ok(!compileGoPattern("a.c").test("a\nc"));
    assert.ok(compileGoPattern("(?m)^two$").test("one\ntwo\nthree"));
    assert.ok(!compileGoPattern("^two$").test("one\ntwo\nthree"));
    assert.ok(compileGoPattern("a(?i)b").test("aB"));
    assert.ok(!compileGoPattern("a(?i)b").test("AB"));
    assert.ok(compileGoPattern("(?i:a)b").test("Ab"));
    assert.ok(compileGoPattern("(?U)a+").test("aaa"));
  });

  test("RE2 syntax JS spells differently or lacks", () => {
    const cases: Array<[string, string[], string[]]> = [
      // pattern, matches, non-matches
      ["(?P<verb>kill)-session", ["kill-session"], ["killsession"]],
      ["(?<verb>kill)-session", ["kill-session"], ["killsession"]],
      ["\\Aab\\z", ["ab"], ["xab", "ab\n"]],
      ["\\Qa.b*\\E+", ["a.b*a.b*"], ["axbb"]],
      ["[[:digit:][:upper:]]+", ["A1"], ["a"]],
      ["^[[:^alpha:]]+$", ["12"], ["a1"]],
      ["\\x{1F600}", ["😀"], [":)"]],
      ["^.$", ["😀"], ["ab"]],
      ["\\pL\\p{Greek}\\PN", ["aβx"], ["aβ1"]],
      ["\\p{^Greek}", ["a"], ["β"]],
      ["a{,2}", ["a{,2}"], ["aa"]],
      ["x]", ["x]"], ["x"]],
      ["[]a]", ["]"], ["b"]],
      ["[^]a]", ["b"], ["]"]],
      ["\\-\\#\\~\\ ", ["-#~ "], ["-#~"]],
      ["\\a\\101\\0", ["\x07A\0"], ["A"]],
      ["a{2,3}", ["aa"], ["a"]],
    ];
    for (const [pattern, hits, misses] of cases) {
      const re = compileGoPattern(pattern);
      for (const hit of hits) assert.ok(re.test(hit), `${pattern} should match ${JSON.stringify(hit)}`);
      for (const miss of misses)
        assert.ok(!re.test(miss), `${pattern} should not match ${JSON.stringify(miss)}`);
    }
  });

  test("invalid or unsupported patterns are refused with Go's reason", () => {
    const cases: Array<[string, RegExp]> = [
      ["(", /^missing closing \): `\(`$/],
      ["a)", /unexpected \)/],
      ["[a", /missing closing \]/],
      ["*a", /missing argument to repetition operator/],
      ["a\\", /trailing backslash/],
      ["a(?=b)", /^lookaround assertions are not supported \(RE2 syntax\): /],
      ["a(?!b)", /^lookaround assertions/],
      ["(?<!a)b", /^lookaround assertions/],
      ["(?<=a)b", /^lookaround assertions/],
      ["(a)\\1", /^backreferences are not supported \(RE2 syntax\): invalid escape sequence: `\\1`/],
      ["(?P<n>a)(?P=n)", /^backreferences/],
      ["\\k<n>", /^backreferences/],
      ["\\C", /invalid escape sequence: `\\C`/],
      ["\\e", /invalid escape sequence: `\\e`/],
      ["[\\A]", /invalid escape sequence: `\\A`/],
      ["a{1001}", /invalid repeat count/],
      ["[[:nope:]]", /\[:nope:\]/],
      ["\\x{110000}", /invalid escape sequence/],
      ["\\xZZ", /invalid escape sequence/],
      ["\\p{NoSuchScript}", /invalid character class range/],
      ["(?#comment)", /unsupported Perl syntax/],
    ];
    for (const [pattern, reason] of cases) {
      const message = patternError(pattern);
      assert.ok(message, `${pattern} should be refused`);
      assert.match(message, reason, pattern);
      assert.throws(() => compileGoPattern(pattern), PatternError);
    }
    // A plain syntax error gets no RE2 hint.
    assert.doesNotMatch(patternError("(")!, /RE2 syntax/);
    assert.equal(patternError("^session\\.kill$"), undefined);
    assert.match(new PatternError("x").message, /^invalid pattern: x$/);
  });

  test("matching is linear: a pattern that makes a backtracking engine explode returns at once", (t) => {
    // `^(a|a)+$` against 28 a's and a "!" took JavaScript's RegExp 3.7 s, doubling with each further "a".
    const re = compileGoPattern("^(a|a)+$");
    for (const n of [28, 40, 10_000]) {
      const started = performance.now();
      assert.equal(re.test(`${"a".repeat(n)}!`), false);
      const ms = performance.now() - started;
      t.diagnostic(`^(a|a)+$ against ${n} a's + "!": ${ms.toFixed(2)} ms`);
      // Generous for a loaded machine (the backtracking engine took 3.7 s at n = 28 and doubles per "a").
      assert.ok(ms < 1000, `${n} a's took ${ms.toFixed(1)} ms`);
    }
    assert.equal(re.test("aaaa"), true);
  });
});

let nextId = 0;
function rule(overrides: Partial<GuardrailRule>): GuardrailRule {
  nextId++;
  return {
    id: `r${nextId}`,
    name: `rule ${nextId}`,
    scope: "command",
    pattern: ".",
    mode: "allow",
    severity: "warn",
    message: "",
    enabled: true,
    priority: 100,
    createdAt: "2026-01-01T00:00:00Z",
    updatedAt: "2026-01-01T00:00:00Z",
    ...overrides,
  };
}

const input = (overrides: Partial<GuardrailInput>): GuardrailInput => ({
  action: "",
  command: "",
  sessionName: "dev",
  windowIndex: -1,
  paneId: "",
  ...overrides,
});

const compile = (pattern: string) => {
  try {
    return compileGoPattern(pattern);
  } catch {
    return undefined;
  }
};

describe("evaluation", () => {
  test("no match is allow with nothing matched", () => {
    assert.deepEqual(evaluateRules([rule({ pattern: "^x$" })], input({ command: "y" }), compile), {
      mode: "allow",
      allowed: true,
      requireConfirm: false,
      message: "",
      matchedRuleId: "",
      matchedRules: [],
    });
  });

  test("the strongest mode wins whatever its priority; every match is listed in priority order", () => {
    const warn = rule({ mode: "warn", priority: 1, message: "careful" });
    const block = rule({ mode: "block", priority: 50, message: "no" });
    const confirm = rule({ mode: "confirm", priority: 20 });
    const allow = rule({ mode: "allow", priority: 0 });
    const d = evaluateRules([block, confirm, warn, allow], input({ command: "anything" }), compile);
    assert.equal(d.mode, "block");
    assert.equal(d.allowed, false);
    assert.equal(d.requireConfirm, false);
    assert.equal(d.message, "no");
    assert.equal(d.matchedRuleId, block.id);
    assert.deepEqual(
      d.matchedRules.map((r) => r.id),
      [allow.id, warn.id, confirm.id, block.id],
    );
  });

  test("between equal modes the first in priority order wins; equal priorities go by id", () => {
    const late = rule({ id: "b-late", mode: "confirm", priority: 30, message: "late" });
    const early = rule({ id: "z-early", mode: "confirm", priority: 10, message: "early" });
    const d = evaluateRules([late, early], input({ command: "x" }), compile);
    assert.equal(d.matchedRuleId, "z-early");
    assert.equal(d.message, "early");
    assert.equal(d.requireConfirm, true);
    assert.equal(d.allowed, true);
    const a = rule({ id: "a", mode: "warn", priority: 5, message: "a" });
    const b = rule({ id: "b", mode: "warn", priority: 5, message: "b" });
    assert.equal(evaluateRules([b, a], input({ command: "x" }), compile).matchedRuleId, "a");
  });

  test("disabled rules, empty targets and patterns that do not compile are skipped", () => {
    const disabled = rule({ mode: "block", enabled: false });
    const broken = rule({ mode: "block", pattern: "(" });
    const warn = rule({ mode: "warn" });
    const d = evaluateRules([disabled, broken, warn], input({ command: "x" }), compile);
    assert.equal(d.mode, "warn");
    assert.deepEqual(
      d.matchedRules.map((r) => r.id),
      [warn.id],
    );
    assert.equal(evaluateRules([warn], input({ command: "   " }), compile).mode, "allow");
    // An empty pattern would match everything; an empty target still does not match.
    assert.equal(evaluateRules([rule({ pattern: "", mode: "block" })], input({}), compile).mode, "allow");
  });

  test("action rules look at the action (scope compared case-insensitively), command rules at the command", () => {
    const kill = rule({
      scope: "ACTION" as GuardrailRule["scope"],
      pattern: "^session\\.kill$",
      mode: "confirm",
    });
    const rm = rule({ scope: "command", pattern: "rm", mode: "block" });
    assert.equal(evaluateRules([kill, rm], input({ action: "session.kill" }), compile).mode, "confirm");
    assert.equal(evaluateRules([kill, rm], input({ command: "session.kill" }), compile).mode, "allow");
    assert.equal(evaluateRules([kill, rm], input({ action: "rm" }), compile).mode, "allow");
    assert.equal(evaluateRules([kill, rm], input({ command: "rm" }), compile).mode, "block");
    // The target is trimmed before matching.
    assert.equal(evaluateRules([kill], input({ action: "  session.kill\n" }), compile).mode, "confirm");
  });

  test("empty messages fall back to the mode's default; unknown modes count as allow", () => {
    const msg = (mode: string) =>
      evaluateRules([rule({ mode: mode as GuardrailRule["mode"] })], input({ command: "x" }), compile);
    assert.equal(msg("block").message, "operation blocked by guardrail policy");
    assert.equal(msg("confirm").message, "operation requires explicit confirmation");
    assert.equal(msg("warn").message, "operation matched warning policy");
    assert.equal(msg("allow").message, "");
    assert.equal(msg("allow").matchedRules.length, 1);
    assert.equal(msg("").mode, "allow");
    assert.equal(msg("nonsense").mode, "allow");
  });

  test("the seeded rules: session.kill needs confirmation, rm -rf / is blocked", () => {
    const seeded = SEEDED_RULES.map((r) => rule(r));
    const kill = evaluateRules(seeded, input({ action: "session.kill" }), compile);
    assert.equal(kill.mode, "confirm");
    assert.equal(kill.matchedRuleId, "action.session.kill.confirm");
    assert.equal(kill.message, "Session termination requires explicit confirmation.");
    const rm = evaluateRules(seeded, input({ command: "sudo rm -rf /" }), compile);
    assert.equal(rm.mode, "block");
    assert.equal(rm.message, "Blocked dangerous command pattern: rm -rf /");
    assert.equal(evaluateRules(seeded, input({ action: "session.create" }), compile).mode, "allow");
  });
});

describe("rule model", () => {
  test("normalisation on save", () => {
    assert.equal(normaliseScope("action"), "action");
    assert.equal(normaliseScope(" Action "), "action");
    assert.equal(normaliseScope("actions"), "command");
    assert.equal(normaliseScope(undefined), "command");
    assert.equal(normaliseMode("BLOCK"), "block");
    assert.equal(normaliseMode("deny"), "allow");
    assert.equal(normaliseMode(""), "allow");
    assert.equal(normaliseSeverity("error"), "error");
    assert.equal(normaliseSeverity("critical"), "warn");
  });

  test("confirmation values, from the header or the query", () => {
    for (const yes of ["1", "true", "TRUE", " yes ", "confirm", "Confirmed"])
      assert.ok(isConfirmValue(yes), yes);
    for (const no of [undefined, "", "0", "false", "no", "y", "on"])
      assert.ok(!isConfirmValue(no), String(no));
    const req = (headers: Record<string, unknown>, query: Record<string, unknown>) =>
      isConfirmed({ headers, query } as never);
    assert.ok(req({ "x-sentinel-guardrail-confirm": "true" }, {}));
    assert.ok(req({}, { confirm: "1" }));
    assert.ok(req({ "x-sentinel-guardrail-confirm": "no" }, { confirm: "yes" }));
    assert.ok(req({}, { confirm: ["1", "0"] }));
    assert.ok(!req({}, { confirm: ["0", "1"] }));
    assert.ok(!req({}, {}));
  });
});

describe("service over the store", () => {
  const dirs: string[] = [];
  const open = () => {
    const dir = mkdtempSync(join(tmpdir(), "sentinel-guardrails-"));
    dirs.push(dir);
    return join(dir, "sentinel.db");
  };
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test("seeds at every start: a deleted seed comes back, an edited one keeps its edits", () => {
    const path = open();
    let store = Store.open(path);
    let g = new Guardrails(new GuardrailsRepo(store));
    assert.deepEqual(
      g.rules().map((r) => [r.id, r.priority]),
      [
        ["command.rm.root.block", 5],
        ["action.session.kill.confirm", 10],
      ],
    );
    for (const r of g.rules()) assert.match(r.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    g.upsertRule("action.session.kill.confirm", {
      pattern: "^session\\.kill$",
      enabled: false,
      mode: "block",
    });
    assert.ok(g.deleteRule("command.rm.root.block"));
    assert.equal(g.deleteRule("command.rm.root.block"), false);
    store.close();

    store = Store.open(path);
    g = new Guardrails(new GuardrailsRepo(store));
    const kill = g.rules().find((r) => r.id === "action.session.kill.confirm")!;
    assert.equal(kill.enabled, false);
    assert.equal(kill.mode, "block");
    assert.ok(g.rules().some((r) => r.id === "command.rm.root.block"));
    store.close();
  });

  test("upsert: new rules take defaults, updates keep what is not sent, invalid patterns are not stored", () => {
    const store = Store.open(open());
    const g = new Guardrails(new GuardrailsRepo(store));
    g.upsertRule("custom", { pattern: "(?i)^DROP", enabled: true });
    let custom = g.rules().find((r) => r.id === "custom")!;
    assert.deepEqual(
      { ...custom, createdAt: "", updatedAt: "" },
      {
        id: "custom",
        name: "custom",
        scope: "command",
        pattern: "(?i)^DROP",
        mode: "allow",
        severity: "warn",
        message: "",
        enabled: true,
        priority: 100,
        createdAt: "",
        updatedAt: "",
      },
    );
    g.upsertRule("custom", { pattern: "^drop", enabled: true, mode: "warn", priority: 7, name: "Drop" });
    g.upsertRule("custom", { pattern: "^drop table", enabled: true });
    custom = g.rules().find((r) => r.id === "custom")!;
    assert.equal(custom.mode, "warn");
    assert.equal(custom.priority, 7);
    assert.equal(custom.name, "Drop");
    assert.equal(custom.pattern, "^drop table");
    assert.equal(g.rules()[0]!.id, "command.rm.root.block");
    assert.equal(g.rules()[1]!.id, "custom");

    assert.throws(() => g.upsertRule("custom", { pattern: "(", enabled: true }), PatternError);
    assert.throws(() => g.upsertRule("other", { pattern: "a(?=b)", enabled: true }), PatternError);
    assert.equal(g.rules().find((r) => r.id === "custom")!.pattern, "^drop table");
    assert.ok(!g.rules().some((r) => r.id === "other"));

    // The cache follows writes.
    assert.equal(g.evaluate(input({ command: "drop table x" })).mode, "warn");
    g.upsertRule("custom", { pattern: "^drop table", enabled: false });
    assert.equal(g.evaluate(input({ command: "drop table x" })).mode, "allow");
    store.close();
  });

  test("a stored pattern that does not compile is skipped and logged once", () => {
    const store = Store.open(open());
    const repo = new GuardrailsRepo(store);
    repo.upsert({ ...rule({ id: "broken", mode: "block", pattern: "(" }) });
    const warnings: unknown[] = [];
    const g = new Guardrails(repo, { warn: (o) => warnings.push(o) });
    assert.equal(g.evaluate(input({ command: "x" })).mode, "allow");
    assert.equal(g.evaluate(input({ command: "y" })).mode, "allow");
    assert.equal(warnings.length, 1);
    store.close();
  });

  test("audit rows: newest first, metadata as a JSON string, limit", () => {
    const store = Store.open(open());
    const g = new Guardrails(new GuardrailsRepo(store));
    const kill = input({ action: "session.kill", sessionName: "a", windowIndex: -1 });
    g.audit(kill, g.evaluate(kill), "confirm-required", false);
    g.audit(kill, g.evaluate(kill), "confirmed", true);
    const rm = input({ command: "rm -rf /", paneId: "%3", windowIndex: 2 });
    g.audit(rm, g.evaluate(rm), "manual evaluate", false);
    const rows = g.listAudit(10);
    assert.deepEqual(
      rows.map((r) => r.reason),
      ["manual evaluate", "confirmed", "confirm-required"],
    );
    assert.deepEqual(
      { ...rows[0], id: 0, createdAt: "" },
      {
        id: 0,
        ruleId: "command.rm.root.block",
        decision: "block",
        action: "",
        command: "rm -rf /",
        sessionName: "dev",
        windowIndex: 2,
        paneId: "%3",
        override: false,
        reason: "manual evaluate",
        metadata: '{"matchedRules":1,"mode":"block"}',
        createdAt: "",
      },
    );
    assert.equal(rows[1]!.override, true);
    assert.equal(rows[1]!.metadata, '{"matchedRules":1,"mode":"confirm"}');
    assert.equal(g.listAudit(2).length, 2);
    store.close();
  });
});
