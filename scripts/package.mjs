// `npm run package`: a VSIX per platform whose node-pty prebuild is installed, with @vscode/vsce.
// `--no-dependencies`: the bundles are self-contained and dist/node_modules carries node-pty (scripts/build.mjs);
// vsce runs `vscode:prepublish` (the production build) first. When every platform's prebuild is installed, one
// universal VSIX is made instead. Works offline. Prints each VSIX's path and size.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const optional = Object.keys(
  JSON.parse(readFileSync(join(root, "node_modules/@lydell/node-pty/package.json"), "utf8"))
    .optionalDependencies ?? {},
);
const installed = readdirSync(join(root, "node_modules/@lydell")).filter((n) => n.startsWith("node-pty-"));
if (installed.length === 0) {
  console.error("package: no @lydell/node-pty-<platform> prebuild is installed; run npm install");
  process.exit(1);
}
const universal = optional.every((name) => installed.includes(name.replace("@lydell/", "")));
const targets = universal ? [undefined] : installed.map((n) => n.replace("node-pty-", ""));
const vsce = join(root, "node_modules/@vscode/vsce/vsce");

for (const target of targets) {
  const out = join(root, `${pkg.name}-${pkg.version}${target ? `-${target}` : ""}.vsix`);
  const args = [
    vsce,
    "package",
    "--no-dependencies",
    "--allow-missing-repository",
    "--no-rewrite-relative-links",
    // The extension page gets the user-facing README; README.md is the developer's (links into the repository).
    "--readme-path",
    "README.marketplace.md",
  ];
  if (target) args.push("--target", target);
  args.push("--out", out);
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
  const size = statSync(out).size;
  console.log(`package: ${out} (${(size / 1024).toFixed(0)} KiB${target ? `, ${target}` : ", universal"})`);
}
