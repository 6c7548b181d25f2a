// The config.toml written on first start (spec §10: created mode 0600 if missing, never overwritten): the token,
// then every other file setting commented out at its default, with its description. Generated from the schema.
import { SETTING_KEYS, SETTINGS, type Setting } from "./schema.js";
import { tomlString } from "./tomlLines.js";

/** A description without its Markdown code spans, for a TOML comment. */
const plainText = (markdown: string) => markdown.replace(/`/g, "");

export function configTemplate(token: string): string {
  const lines = [
    "# Sentinel companion server configuration (TOML). Every setting is read at start; environment variables",
    "# (SENTINEL_*) win over this file. Unknown keys are reported at start and otherwise ignored.",
    "# The token below authenticates every client: keep this file private (mode 0600).",
    "# SENTINEL_TOKEN wins while it is set; this token is used whenever it is not.",
    `token = ${tomlString(token)}`,
  ];
  for (const key of SETTING_KEYS) {
    const s = SETTINGS[key] as Setting<unknown>;
    if (s.file === false || key === "token") continue;
    lines.push("", `# ${plainText(s.description)} (env ${s.env})`, `# ${key} = ${s.kind.toToml(s.default)}`);
  }
  return `${lines.join("\n")}\n`;
}
