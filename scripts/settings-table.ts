// `npm run settings-table`: rewrites README.md's configuration table from src/server/settings/schema.ts (between
// its markers). `--check` only reports whether it is current (exit 1 if not); test/unit/settings.test.ts does too.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { withSettingsTable } from "../src/server/settings/readmeTable.js";

const readmePath = join(__dirname, "..", "README.md");
const readme = readFileSync(readmePath, "utf8");
const next = withSettingsTable(readme);
if (process.argv.includes("--check")) {
  if (next !== readme) {
    process.stderr.write(
      "README.md: the configuration table differs from the schema; run npm run settings-table\n",
    );
    process.exit(1);
  }
} else if (next !== readme) {
  writeFileSync(readmePath, next);
  process.stdout.write("README.md: configuration table updated\n");
}
