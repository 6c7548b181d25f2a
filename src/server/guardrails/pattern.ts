// Guardrail patterns (spec §6.1: "<RE2 regex>") compiled by re2js, a JavaScript port of RE2 with Go's parser:
// the syntax is Go's as it is (`(?i)` anywhere, `(?P<name>…)`, `\A`, `\z`, `\Q…\E`, `\pL`, `[[:alpha:]]`, …), so
// the same rule works against the Go server, and matching takes time linear in the input whatever the pattern
// (`^(a|a)+$` cannot backtrack; ADR 0012). What RE2 does not have (lookaround, backreferences) does not compile
// and is refused when the rule is saved, with Go's own reason and a hint.
import type * as Re2js from "re2js";

// Loaded on first use: the module costs ~100 ms to load cold and most starts never evaluate a rule.
let re2Module: typeof Re2js | undefined;
const re2 = (): typeof Re2js => {
  re2Module ??= require("re2js") as typeof Re2js;
  return re2Module;
};

export class PatternError extends Error {
  constructor(readonly reason: string) {
    super(`invalid pattern: ${reason}`);
    this.name = "PatternError";
  }
}

/** A compiled guardrail pattern. */
export interface GuardrailPattern {
  /** Whether the pattern matches anywhere in `target` (Go's `MatchString`); linear in `target`'s length. */
  test(target: string): boolean;
}

/** What RE2 leaves out on purpose, told apart from plain syntax errors by the fragment Go's parser names. */
const UNSUPPORTED: Array<[RegExp, string]> = [
  [/(Perl syntax|named capture): `\(\?<?[=!]/, "lookaround assertions are not supported (RE2 syntax)"],
  [/escape sequence: `\\[1-9k]|Perl syntax: `\(\?P`/, "backreferences are not supported (RE2 syntax)"],
];

/** Compiles a Go/RE2 pattern; throws PatternError with a readable reason when it does not compile. */
export function compileGoPattern(pattern: string): GuardrailPattern {
  const { RE2JS, RE2JSException } = re2();
  let compiled: Re2js.RE2JS;
  try {
    compiled = RE2JS.compile(pattern);
  } catch (error) {
    if (!(error instanceof RE2JSException)) throw error;
    // "error parsing regexp: missing closing ): `(`" → "missing closing ): `(`"
    const reason = error.message.replace(/^error parsing regexp: /, "");
    const hint = UNSUPPORTED.find(([shape]) => shape.test(reason));
    throw new PatternError(hint ? `${hint[1]}: ${reason}` : reason);
  }
  return { test: (target) => compiled.test(target) };
}

/** The reason a pattern is invalid, or undefined when it compiles. */
export function patternError(pattern: string): string | undefined {
  try {
    compileGoPattern(pattern);
    return undefined;
  } catch (error) {
    if (error instanceof PatternError) return error.reason;
    throw error;
  }
}
