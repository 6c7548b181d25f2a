// The value kinds of the settings schema (./schema.ts): how a value is read from config.toml (a typed TOML value)
// and from the environment (text), what it must satisfy, and how it is written and documented. A value that does
// not fit is an error naming the setting, never a silent fallback to the default.

/** A bad setting: config.toml (with its line), the environment, a flag, or a PATCH of the file. */
export class ConfigError extends Error {
  constructor(
    message: string,
    /** 1-based line in config.toml, when the problem is there. */
    readonly line?: number,
  ) {
    super(message);
  }
}

/** Thrown by a kind's readers: what the value should have been. The caller adds where it came from. */
export class Invalid extends Error {}

export interface Kind<T> {
  /** For the README table: `integer`, `duration`, `scan | events | poll`… */
  type: string;
  /** A TOML value as smol-toml returns it. */
  fromToml(value: unknown): T;
  /** An environment variable or flag (already trimmed, not empty). */
  fromText(text: string): T;
  /** The value as TOML source, for the first-start template. */
  toToml(value: T): string;
  /** The value as the README shows it. */
  show(value: T): string;
}

/** What a TOML value is, for "got …" in messages. */
export function tomlType(value: unknown): string {
  if (typeof value === "string") return "a string";
  if (typeof value === "boolean") return "a boolean";
  if (typeof value === "number") return Number.isInteger(value) ? "an integer" : "a float";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Date) return "a date";
  return "a table";
}

const got = (value: unknown) =>
  typeof value === "string" ? `"${value}"` : typeof value === "object" ? tomlType(value) : String(value);

const plain = (s: string) => `\`${s}\``;

/** Whole numbers in [min, max]. TOML integers (`6000`, `6_000`); text of digits. */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER): Kind<number> {
  const expected =
    max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`;
  const check = (n: number, raw: unknown): number => {
    if (!Number.isSafeInteger(n) || n < min || n > max)
      throw new Invalid(`expected ${expected}, got ${got(raw)}`);
    return n;
  };
  return {
    type: max === Number.MAX_SAFE_INTEGER ? `integer ≥ ${min}` : `integer ${min}–${max}`,
    fromToml: (v) => {
      if (typeof v !== "number" || !Number.isInteger(v))
        throw new Invalid(
          `expected ${expected}, got ${tomlType(v)}${typeof v === "string" ? ` (write it without quotes)` : ""}`,
        );
      return check(v, v);
    },
    fromText: (t) => {
      if (!/^-?\d+$/.test(t)) throw new Invalid(`expected ${expected}, got "${t}"`);
      return check(Number(t), t);
    },
    toToml: String,
    show: String,
  };
}

/** A percentage in [0, 100]: TOML integer or float. */
export const percent: Kind<number> = {
  type: "number 0–100",
  fromToml: (v) => {
    if (typeof v !== "number") throw new Invalid(`expected a percentage from 0 to 100, got ${tomlType(v)}`);
    return percent.fromText(String(v));
  },
  fromText: (t) => {
    const n = Number(t);
    if (!Number.isFinite(n) || n < 0 || n > 100)
      throw new Invalid(`expected a percentage from 0 to 100, got ${got(t)}`);
    return n;
  },
  toToml: String,
  show: String,
};

/** TOML `true`/`false`; the environment also takes `1 yes on` / `0 no off` (spec §10). */
export const boolean: Kind<boolean> = {
  type: "boolean",
  fromToml: (v) => {
    if (typeof v !== "boolean") throw new Invalid(`expected true or false, got ${tomlType(v)}`);
    return v;
  },
  fromText: (t) => {
    const v = t.toLowerCase();
    if (["1", "true", "yes", "on"].includes(v)) return true;
    if (["0", "false", "no", "off"].includes(v)) return false;
    throw new Invalid(`expected a boolean (true/false, 1/0, yes/no, on/off), got "${t}"`);
  },
  toToml: String,
  show: (v) => plain(String(v)),
};

/** A Go duration (`150ms`, `2s`, `1m30s`, `1.5s`) in milliseconds; undefined when invalid or not > 0. */
export function parseDuration(value: string | undefined): number | undefined {
  const v = value?.trim();
  if (!v || !/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(v)) return undefined;
  const unit: Record<string, number> = {
    ns: 1e-6,
    us: 1e-3,
    µs: 1e-3,
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
  };
  let total = 0;
  for (const m of v.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(m[1]) * unit[m[2]!]!;
  return total > 0 ? total : undefined;
}

/** `duration(m)` in Go's notation, for the template and README (`300000` → `5m`). */
function formatDuration(ms: number): string {
  if (ms === 0) return "0";
  for (const [unit, size] of [
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
  ] as const)
    if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/** A duration string > 0, in milliseconds; with `off`, also `0`/`"0"`/`"off"` (then 0: switched off). */
export function duration(options: { off?: boolean } = {}): Kind<number> {
  const expected = `expected a duration such as "150ms", "2s" or "1m30s"${options.off ? ', or "0"/"off"' : ""}`;
  const kind: Kind<number> = {
    type: options.off ? "duration or `0`" : "duration",
    fromToml: (v) => {
      if (options.off && v === 0) return 0;
      if (typeof v !== "string") throw new Invalid(`${expected}, got ${tomlType(v)}`);
      return kind.fromText(v.trim());
    },
    fromText: (t) => {
      if (options.off && /^(0|off)$/i.test(t)) return 0;
      const ms = parseDuration(t);
      if (ms === undefined) throw new Invalid(`${expected}, got "${t}"`);
      return ms;
    },
    toToml: (v) => `"${formatDuration(v)}"`,
    show: (v) => plain(formatDuration(v)),
  };
  return kind;
}

/** A string (trimmed); `check` returns what is wrong with it, if anything. */
export function text(check?: (value: string) => string | undefined): Kind<string> {
  const valid = (v: string): string => {
    const problem = check?.(v);
    if (problem) throw new Invalid(problem);
    return v;
  };
  return {
    type: "string",
    fromToml: (v) => {
      if (typeof v !== "string") throw new Invalid(`expected a string, got ${tomlType(v)}`);
      return valid(v.trim());
    },
    fromText: valid,
    toToml: (v) => JSON.stringify(v),
    show: (v) => (v ? plain(v) : "–"),
  };
}

/** One of `values`, case-insensitive (stored in lower case). */
export function oneOf<const V extends string>(...values: V[]): Kind<V> {
  const read = (t: string): V => {
    const v = t.toLowerCase();
    if ((values as string[]).includes(v)) return v as V;
    throw new Invalid(`expected one of ${values.join(", ")}, got "${t}"`);
  };
  return {
    type: values.map(plain).join(" | "),
    fromToml: (v) => {
      if (typeof v !== "string")
        throw new Invalid(`expected one of ${values.join(", ")}, got ${tomlType(v)}`);
      return read(v.trim());
    },
    fromText: read,
    toToml: (v) => JSON.stringify(v),
    show: plain,
  };
}

/** A list: a TOML array of strings or one comma-separated string (the environment's form); blanks dropped. */
export function list(
  check: (entry: string) => string | undefined,
  normalize = (s: string) => s,
): Kind<string[]> {
  const valid = (entries: string[]): string[] => {
    const out = entries.map((s) => normalize(s.trim())).filter(Boolean);
    for (const entry of out) {
      const problem = check(entry);
      if (problem) throw new Invalid(problem);
    }
    return out;
  };
  return {
    type: "list (array or comma-separated)",
    fromToml: (v) => {
      if (typeof v === "string") return valid(v.split(","));
      if (Array.isArray(v) && v.every((e) => typeof e === "string")) return valid(v);
      throw new Invalid(`expected an array of strings or a comma-separated string, got ${tomlType(v)}`);
    },
    fromText: (t) => valid(t.split(",")),
    toToml: (v) => JSON.stringify(v),
    show: (v) => (v.length ? v.map(plain).join(", ") : "–"),
  };
}

export function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(n) || n < 0 || n > 65535) {
    throw new ConfigError(`invalid port "${value}": expected an integer from 0 to 65535`);
  }
  return n;
}

/** Splits `host:port`, `[::1]:port` or `:port`. */
export function splitListen(listen: string): { host: string; port: string } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(listen) ?? /^([^:]*):(\d+)$/.exec(listen);
  if (!m) throw new ConfigError(`invalid listen address "${listen}": expected host:port`);
  return { host: m[1]!, port: m[2]! };
}

/** Loopback hosts are not exposed (spec §5.4); an empty host binds every interface. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h === "::1") return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
