// Go RE2 patterns as JS RegExp (spec §6.1 port note, Appendix A "(?i) regex translation"). Rules are written in
// Go syntax, so the same rule works against the Go server. Translated: leading inline flags `(?i)`, `(?m)`,
// `(?s)`; `(?P<name>…)`; `\A`, `\z`, `\Q…\E`, `\x{…}`, `\pL`, `\p{Greek}`, `\a`, octal escapes; `[[:alpha:]]`;
// escaped punctuation; a `{`, `}` or `]` that Go reads as a literal. Refused with a reason: what RE2 does not
// have (lookaround, backreferences, `\C`), what JS cannot express (`(?U)`, flags after the start), and repeat
// counts above RE2's 1000. Everything else is handed to `new RegExp(source, "u" + flags)`.

export class PatternError extends Error {
  constructor(readonly reason: string) {
    super(`invalid pattern: ${reason}`);
    this.name = "PatternError";
  }
}

export interface TranslatedPattern {
  source: string;
  /** Always `u`, plus `i`, `m`, `s` from a leading flag group. */
  flags: string;
}

/** RE2's ASCII classes (`[[:name:]]`), as JS class contents. */
const POSIX_CLASSES: Record<string, string> = {
  alnum: "0-9A-Za-z",
  alpha: "A-Za-z",
  ascii: "\\x00-\\x7F",
  blank: "\\t ",
  cntrl: "\\x00-\\x1F\\x7F",
  digit: "0-9",
  graph: "\\x21-\\x7E",
  lower: "a-z",
  print: "\\x20-\\x7E",
  punct: "\\x21-\\x2F\\x3A-\\x40\\x5B-\\x60\\x7B-\\x7E",
  space: "\\t\\n\\v\\f\\r ",
  upper: "A-Z",
  word: "0-9A-Za-z_",
  xdigit: "0-9A-Fa-f",
};

/** Unicode general categories: `\p{Lu}` in both syntaxes; any other name is a script (`\p{Script=Greek}`). */
const GENERAL_CATEGORIES = new Set(
  "L Lu Ll Lt Lm Lo M Mn Mc Me N Nd Nl No P Pc Pd Ps Pe Pi Pf Po S Sm Sc Sk So Z Zs Zl Zp C Cc Cf Cs Co Cn Any".split(
    " ",
  ),
);

/** RE2's largest repeat count. */
const MAX_REPEAT = 1000;

const isAsciiPunct = (ch: string) => ch.length === 1 && ch < "\x80" && !/[0-9A-Za-z]/.test(ch);
const hexEscape = (ch: string) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, "0")}`;
const codePointEscape = (cp: number) => `\\u{${cp.toString(16)}}`;

/** A literal character, safe in JS `u` mode inside and outside a class. */
function literal(ch: string): string {
  return isAsciiPunct(ch) ? hexEscape(ch) : ch;
}

/** Leading `(?flags)` groups: `i`, `m`, `s` map to JS flags; `-x` turns one off; `U` has no JS equivalent. */
function leadingFlags(chars: string[]): { flags: Set<string>; start: number } {
  const flags = new Set<string>();
  let i = 0;
  for (;;) {
    if (chars[i] !== "(" || chars[i + 1] !== "?") break;
    let j = i + 2;
    let negate = false;
    const on = new Set<string>();
    const off = new Set<string>();
    while (j < chars.length && chars[j] !== ")") {
      const c = chars[j]!;
      if (c === "-" && !negate) negate = true;
      else if (c === "i" || c === "m" || c === "s" || c === "U") (negate ? off : on).add(c);
      else break;
      j++;
    }
    if (chars[j] !== ")" || j === i + 2) break; // `(?i:…)`, `(?:…)`, `(?P<…>` and friends are not flag groups
    if (negate && off.size === 0) throw new PatternError("missing flags after - in (?-)");
    if (on.has("U")) throw new PatternError("the ungreedy flag (?U) is not supported");
    for (const f of on) flags.add(f);
    for (const f of off) flags.delete(f);
    i = j + 1;
  }
  return { flags, start: i };
}

/** Translates a Go RE2 pattern; throws PatternError for what cannot be translated. */
export function translateGoPattern(pattern: string): TranslatedPattern {
  const chars = Array.from(pattern);
  const { flags, start } = leadingFlags(chars);
  let out = "";
  let i = start;
  let inClass = false;

  /** An escape at chars[i] === "\\"; returns the JS text and advances i past it. */
  const readEscape = (): string => {
    const c = chars[i + 1];
    if (c === undefined) throw new PatternError("trailing backslash at end of expression");
    i += 2;
    if (isAsciiPunct(c)) return hexEscape(c);
    switch (c) {
      case "d":
      case "D":
      case "s":
      case "S":
      case "w":
      case "W":
      case "f":
      case "n":
      case "r":
      case "t":
      case "v":
        return `\\${c}`;
      case "a":
        return "\\x07";
      case "b":
      case "B":
        if (inClass) break;
        return `\\${c}`;
      case "A":
        if (inClass) break;
        return "(?<![\\s\\S])";
      case "z":
        if (inClass) break;
        return "(?![\\s\\S])";
      case "Q": {
        if (inClass) break;
        let text = "";
        while (i < chars.length && !(chars[i] === "\\" && chars[i + 1] === "E")) text += literal(chars[i++]!);
        if (i < chars.length) i += 2;
        return text ? `(?:${text})` : "";
      }
      case "x": {
        if (chars[i] === "{") {
          const close = chars.indexOf("}", i);
          const hex = close < 0 ? "" : chars.slice(i + 1, close).join("");
          if (!/^[0-9A-Fa-f]{1,8}$/.test(hex) || Number.parseInt(hex, 16) > 0x10ffff)
            throw new PatternError(`invalid escape sequence \\x{${hex}}`);
          i = close + 1;
          return codePointEscape(Number.parseInt(hex, 16));
        }
        const hex = chars.slice(i, i + 2).join("");
        if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new PatternError(`invalid escape sequence \\x${hex}`);
        i += 2;
        return `\\x${hex}`;
      }
      case "p":
      case "P": {
        let name: string;
        if (chars[i] === "{") {
          const close = chars.indexOf("}", i);
          if (close < 0) throw new PatternError(`invalid character class range \\${c}{`);
          name = chars.slice(i + 1, close).join("");
          i = close + 1;
        } else {
          name = chars[i] ?? "";
          i++;
        }
        let negated = c === "P";
        if (name.startsWith("^")) {
          negated = !negated;
          name = name.slice(1);
        }
        if (!/^[A-Za-z_]+$/.test(name))
          throw new PatternError(`invalid character class range \\${c}{${name}}`);
        const property = GENERAL_CATEGORIES.has(name) ? name : `Script=${name}`;
        return `\\${negated ? "P" : "p"}{${property}}`;
      }
      case "C":
        throw new PatternError("\\C (any byte) is not supported");
      case "k":
        throw new PatternError("backreferences are not supported (RE2 syntax)");
      default:
        if (/[0-7]/.test(c)) {
          // Octal: \0, \0NN, or \NN / \NNN with a non-zero first digit. A lone \1–\7 is a backreference.
          let digits = c;
          while (digits.length < 3 && /[0-7]/.test(chars[i] ?? "")) digits += chars[i++];
          if (c !== "0" && digits.length === 1)
            throw new PatternError("backreferences are not supported (RE2 syntax)");
          return codePointEscape(Number.parseInt(digits, 8));
        }
        if (c === "8" || c === "9") throw new PatternError("backreferences are not supported (RE2 syntax)");
    }
    throw new PatternError(`invalid escape sequence \\${c}`);
  };

  while (i < chars.length) {
    const ch = chars[i]!;
    if (ch === "\\") {
      out += readEscape();
      continue;
    }
    if (inClass) {
      if (ch === "]") {
        out += "]";
        inClass = false;
        i++;
      } else if (ch === "[" && chars[i + 1] === ":") {
        const rest = chars.slice(i).join("");
        const m = /^\[:(\^?)([a-z]+):\]/.exec(rest);
        if (m) {
          const expansion = POSIX_CLASSES[m[2]!];
          if (!expansion) throw new PatternError(`invalid character class range [:${m[1]}${m[2]}:]`);
          if (m[1]) throw new PatternError(`negated POSIX classes ([:^${m[2]}:]) are not supported`);
          out += expansion;
          i += Array.from(m[0]).length;
        } else {
          out += "\\[";
          i++;
        }
      } else {
        out += ch === "[" ? "\\[" : ch;
        i++;
      }
      continue;
    }
    switch (ch) {
      case "[": {
        out += "[";
        i++;
        if (chars[i] === "^") {
          out += "^";
          i++;
        }
        // A `]` first in a class is a literal in RE2; in JS `[]` is an empty class.
        if (chars[i] === "]") {
          out += "\\]";
          i++;
        }
        inClass = true;
        break;
      }
      case "(": {
        if (chars[i + 1] !== "?") {
          out += "(";
          i++;
          break;
        }
        const rest = chars.slice(i, i + 4).join("");
        if (rest.startsWith("(?:")) {
          out += "(?:";
          i += 3;
        } else if (rest.startsWith("(?P<") || (rest.startsWith("(?<") && !/^\(\?<[=!]/.test(rest))) {
          const from = rest.startsWith("(?P<") ? i + 4 : i + 3;
          const close = chars.indexOf(">", from);
          const name = close < 0 ? "" : chars.slice(from, close).join("");
          if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
            throw new PatternError(`invalid named capture <${name}>`);
          out += `(?<${name}>`;
          i = close + 1;
        } else if (/^\(\?(=|!|<=|<!)/.test(rest)) {
          throw new PatternError("lookaround assertions are not supported (RE2 syntax)");
        } else if (rest.startsWith("(?P=") || rest.startsWith("(?P>")) {
          throw new PatternError("backreferences are not supported (RE2 syntax)");
        } else if (/^\(\?[-imsU]/.test(rest)) {
          throw new PatternError("inline flags are only supported at the start of the pattern");
        } else {
          throw new PatternError(`invalid or unsupported Perl syntax ${rest.slice(0, 3)}`);
        }
        break;
      }
      case "{": {
        const m = /^\{(\d+)(?:(,)(\d*))?\}/.exec(chars.slice(i, i + 24).join(""));
        if (!m) {
          // Not a repeat: Go reads the brace as a literal.
          out += "\\{";
          i++;
          break;
        }
        const min = Number(m[1]);
        const max = m[3] ? Number(m[3]) : min;
        if (min > MAX_REPEAT || max > MAX_REPEAT) throw new PatternError(`invalid repeat count ${m[0]}`);
        out += m[0];
        i += m[0].length;
        break;
      }
      case "}":
        out += "\\}";
        i++;
        break;
      case "]":
        out += "\\]";
        i++;
        break;
      default:
        out += ch;
        i++;
    }
  }
  if (inClass) throw new PatternError("missing closing ]");
  return { source: out, flags: `${[...flags].sort().join("")}u` };
}

/** Translates and compiles; throws PatternError with a readable reason. */
export function compileGoPattern(pattern: string): RegExp {
  const { source, flags } = translateGoPattern(pattern);
  try {
    return new RegExp(source, flags);
  } catch (error) {
    // "Invalid regular expression: /(/u: Unterminated group" → "Unterminated group"
    const message = (error as Error).message;
    throw new PatternError(message.slice(message.lastIndexOf(": ") + 2) || message);
  }
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
