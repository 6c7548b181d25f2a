// What systemctl and journalctl are asked and how their answers are read (spec §1.6): argument lists and pure
// parsers of `systemctl show` (k=v lines) and `systemctl list-units --plain --no-legend` (columns).
import type { DiscoveredService, ServiceScope } from "../../../protocol/ops.js";

/** `--user` for the user manager, nothing for the system one. */
export const scopeArgs = (scope: ServiceScope): string[] => (scope === "user" ? ["--user"] : []);

export const STATE_PROPERTIES = "UnitFileState,ActiveState,LoadState";
export const INSPECT_PROPERTIES =
  "Id,Description,LoadState,UnitFileState,ActiveState,SubState,FragmentPath,ExecMainPID";

/** `systemctl show U1 U2 … --property=…`: one block per unit, in order, separated by an empty line. */
export function showArgs(scope: ServiceScope, units: string[], properties: string): string[] {
  return [...scopeArgs(scope), "show", ...units, "--no-pager", `--property=${properties}`];
}

export function actionArgs(scope: ServiceScope, action: string, unit: string): string[] {
  return [...scopeArgs(scope), action, unit];
}

export function listUnitsArgs(scope: ServiceScope): string[] {
  return [
    ...scopeArgs(scope),
    "list-units",
    "--type=service,timer",
    "--all",
    "--no-pager",
    "--no-legend",
    "--plain",
  ];
}

export function journalArgs(scope: ServiceScope, unit: string, lines: number, follow = false): string[] {
  return [
    ...scopeArgs(scope),
    "-u",
    unit,
    "--no-pager",
    "-n",
    String(lines),
    "--output=short-iso",
    ...(follow ? ["--follow"] : []),
  ];
}

/** `systemctl show` output: one `Key=Value` per line (the value may contain `=`); other lines are skipped. */
export function parseShow(output: string): Record<string, string> {
  const props: Record<string, string> = {};
  for (const line of output.split("\n")) {
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(key)) continue;
    props[key] = line.slice(eq + 1).replace(/\r$/, "");
  }
  return props;
}

/** The blocks of a multi-unit `systemctl show`, split on empty lines. */
export function parseShowBlocks(output: string): Array<Record<string, string>> {
  return output
    .replace(/\r/g, "")
    .split(/\n\s*\n/)
    .filter((block) => block.trim())
    .map(parseShow);
}

/** Empty states become `-` (§1.6). */
export const normalizeState = (value: string | undefined): string => value?.trim() || "-";

/**
 * `systemctl list-units --plain --no-legend` rows: `UNIT LOAD ACTIVE SUB DESCRIPTION…`. unit = f0,
 * active = f2, description = f4… (§1.6); lines with fewer than 4 fields are skipped. Older systemd prints a `●`
 * marker before failed units even with --plain; it is dropped.
 */
export function parseListUnits(output: string, scope: ServiceScope): DiscoveredService[] {
  const rows: DiscoveredService[] = [];
  for (const raw of output.split("\n")) {
    const fields = raw.trim().split(/\s+/).filter(Boolean);
    if (fields[0] === "●" || fields[0] === "*") fields.shift();
    if (fields.length < 4) continue;
    rows.push({
      unit: fields[0]!,
      description: fields.slice(4).join(" "),
      activeState: fields[2]!,
      manager: "systemd",
      scope,
    });
  }
  return rows;
}

/** `load=… active=… sub=…`, else `enabled=X active=Y` (§1.6). */
export function inspectSummary(props: Record<string, string>, enabled: string, active: string): string {
  if (props.LoadState || props.ActiveState || props.SubState) {
    return `load=${normalizeState(props.LoadState)} active=${normalizeState(props.ActiveState)} sub=${normalizeState(props.SubState)}`;
  }
  return `enabled=${enabled} active=${active}`;
}

/**
 * Unit names systemd accepts (letters, digits, `:-_.\@`), at most 256 characters, never starting with `-` (an
 * argument starting with `-` would be read as an option by systemctl, even without a shell).
 */
export const UNIT_PATTERN = /^[A-Za-z0-9:_.@\\][A-Za-z0-9:_.@\\-]{0,255}$/;
export const isUnitName = (unit: string) => UNIT_PATTERN.test(unit);

/** The last `max` lines of a text (launchd's `log show` is trimmed so; journalctl's `-n` already does it). */
export function tailLines(text: string, max: number): string {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines.slice(-max).join("\n") + (lines.length ? "\n" : "");
}
