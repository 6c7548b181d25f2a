// config.toml read as TOML (smol-toml), checked against the schema, and merged with the environment. Errors name
// the line and key (the caller adds the file); unknown keys and sections are warnings, given once by the caller:
// a file may hold settings of another Sentinel version, and refusing to start over them would help nobody.
import { parse, TomlError } from "smol-toml";
import { ConfigError, Invalid, tomlType } from "./kinds.js";
import {
  ALIASES,
  fileSetting,
  KNOWN_SECTIONS,
  LISTEN_PARTS,
  SETTING_KEYS,
  SETTINGS,
  type Setting,
  type SettingKey,
  type Settings,
} from "./schema.js";
import { fullPath, scanToml, type TomlLayout } from "./tomlLines.js";

export interface FileSettings {
  /** The values the file sets (a blank string counts as unset: the default applies, as in spec §10). */
  values: Partial<Settings>;
  /** Each set value's 1-based line. */
  lines: Partial<Record<SettingKey, number>>;
  warnings: string[];
  layout: TomlLayout;
}

export type SettingSource = "flag" | "env" | "file" | "default";

const isTable = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);

/** The document, or a ConfigError `line N: invalid TOML: …` (smol-toml's first message line, its column). */
export function parseToml(text: string): Record<string, unknown> {
  try {
    return parse(text) as Record<string, unknown>;
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    const what = error.message.split("\n")[0]!.replace(/^Invalid TOML document: /, "");
    throw new ConfigError(`line ${error.line}, column ${error.column}: invalid TOML: ${what}`, error.line);
  }
}

export function readConfigText(text: string): FileSettings {
  const doc = parseToml(text);
  const layout = scanToml(text);
  const lineOfPath = new Map<string, number>();
  for (const h of layout.headers) lineOfPath.set(h.path.join("."), h.line + 1);
  for (const a of layout.assignments) lineOfPath.set(fullPath(a).join("."), a.line + 1);
  // A key set inside an inline table (`server = { token = "…" }`) is on its table's line.
  const lineOf = (path: string): number => {
    for (let p = path; p; p = p.slice(0, Math.max(0, p.lastIndexOf(".")))) {
      const line = lineOfPath.get(p);
      if (line !== undefined) return line;
    }
    return 1;
  };

  const out: FileSettings = { values: {}, lines: {}, warnings: [], layout };
  const names = new Map<SettingKey, string>();
  const set = (key: SettingKey, value: unknown, path: string): void => {
    const line = lineOf(path);
    const previous = names.get(key);
    if (previous !== undefined) {
      throw new ConfigError(
        `line ${line}: ${key} is set twice: as "${previous}" on line ${out.lines[key]} and as "${path}"`,
        line,
      );
    }
    names.set(key, path);
    out.lines[key] = line;
    if (typeof value === "string" && value.trim() === "") return;
    try {
      (out.values as Record<string, unknown>)[key] = (SETTINGS[key] as Setting<unknown>).kind.fromToml(value);
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      throw new ConfigError(`line ${line}: invalid ${path}: ${error.message}`, line);
    }
  };

  for (const [name, value] of Object.entries(doc)) {
    const key = fileSetting(name);
    if (key) {
      set(key, value, name);
    } else if (KNOWN_SECTIONS.has(name) && isTable(value)) {
      readSection(name, value, set, out.warnings, lineOf);
    } else if (isTable(value) || (Array.isArray(value) && value.length > 0 && value.every(isTable))) {
      out.warnings.push(
        `line ${lineOf(name)}: unknown section [${name}] (ignored by this server, keys and all)`,
      );
    } else {
      out.warnings.push(`line ${lineOf(name)}: unknown key "${name}" (ignored by this server)`);
    }
  }
  return out;
}

/** A section of the later Go server's layout: its keys this server has, `[server] host`/`port` as `listen`. */
function readSection(
  section: string,
  table: Record<string, unknown>,
  set: (key: SettingKey, value: unknown, path: string) => void,
  warnings: string[],
  lineOf: (path: string) => number,
): void {
  const listen: { host?: unknown; port?: unknown } = {};
  for (const [name, value] of Object.entries(table)) {
    const path = `${section}.${name}`;
    const key = ALIASES.get(path);
    if (key) set(key, value, path);
    else if (path === LISTEN_PARTS.host) listen.host = value;
    else if (path === LISTEN_PARTS.port) listen.port = value;
    else
      warnings.push(`line ${lineOf(path)}: unknown key "${name}" in [${section}] (ignored by this server)`);
  }
  if (listen.host === undefined && listen.port === undefined) return;
  const path = listen.host !== undefined ? LISTEN_PARTS.host : LISTEN_PARTS.port;
  const line = lineOf(path);
  const [defaultHost, defaultPort] = [
    SETTINGS.listen.default.replace(/:\d+$/, ""),
    SETTINGS.listen.default.replace(/^.*:/, ""),
  ];
  const host = listen.host ?? defaultHost;
  if (typeof host !== "string")
    throw new ConfigError(
      `line ${line}: invalid ${LISTEN_PARTS.host}: expected a string, got ${tomlType(host)}`,
      line,
    );
  const port = listen.port ?? Number(defaultPort);
  if (typeof port !== "number" || !Number.isInteger(port))
    throw new ConfigError(
      `line ${lineOf(LISTEN_PARTS.port)}: invalid ${LISTEN_PARTS.port}: expected an integer, got ${tomlType(port)}`,
      line,
    );
  set("listen", `${host.includes(":") ? `[${host}]` : host}:${port}`, path);
}

/** Each setting from a non-blank environment variable, else the file, else its default; with where it came from. */
export function resolveSettings(
  file: Pick<FileSettings, "values">,
  env: NodeJS.ProcessEnv,
): { settings: Settings; sources: Record<SettingKey, SettingSource> } {
  const settings = {} as Record<string, unknown>;
  const sources = {} as Record<SettingKey, SettingSource>;
  for (const key of SETTING_KEYS) {
    const s = SETTINGS[key] as Setting<unknown>;
    const fromEnv = env[s.env]?.trim();
    if (fromEnv) {
      try {
        settings[key] = s.kind.fromText(fromEnv);
      } catch (error) {
        if (!(error instanceof Invalid)) throw error;
        throw new ConfigError(`${s.env}: invalid ${key}: ${error.message}`);
      }
      sources[key] = "env";
    } else if (file.values[key] !== undefined) {
      settings[key] = file.values[key];
      sources[key] = "file";
    } else {
      settings[key] = s.default;
      sources[key] = "default";
    }
  }
  return { settings: settings as Settings, sources };
}
