// `npm run package`: one VSIX per platform VS Code runs the extension on with tmux (linux-x64, linux-arm64,
// darwin-x64, darwin-arm64), each with node-pty's prebuilt binary for that platform, made with @vscode/vsce.
// The prebuilt packages (@lydell/node-pty-<platform>, N-API, any Node ABI) are the installed one where npm installed
// it (this machine's platform), else fetched once from the npm registry with `npm pack` at the version node-pty
// pins, into .cache/node-pty-prebuilds/ (not shipped, not committed). `--no-dependencies`: the bundles are
// self-contained and dist/node_modules carries node-pty (scripts/build.mjs copies exactly the target's prebuild
// when SENTINEL_PTY_TARGET is set); vsce runs `vscode:prepublish` (the production build) first. Each VSIX is
// checked: node-pty and only its own platform's binary, no source, test or map file. Prints path and size.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const TARGETS = ["linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64"];
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const ptyPackage = JSON.parse(readFileSync(join(root, "node_modules/@lydell/node-pty/package.json"), "utf8"));
const vsce = join(root, "node_modules/@vscode/vsce/vsce");
/** `npm run package -- linux-x64`: only the platforms named. */
const only = process.argv.slice(2).filter((a) => TARGETS.includes(a));

function run(file, args, options = {}) {
  const result = spawnSync(file, args, { cwd: root, encoding: "utf8", ...options });
  if (result.status !== 0) {
    console.error(`package: ${file} ${args.join(" ")} failed\n${result.stderr ?? ""}`);
    process.exit(result.status ?? 1);
  }
  return result.stdout ?? "";
}

/** The folder of the target's prebuilt node-pty package. */
function prebuild(target) {
  const name = `@lydell/node-pty-${target}`;
  const installed = join(root, "node_modules", name);
  if (existsSync(join(installed, "package.json"))) return installed;
  const version = ptyPackage.optionalDependencies?.[name];
  if (!version) throw new Error(`node-pty ${ptyPackage.version} has no prebuilt package for ${target}`);
  const cache = join(root, ".cache/node-pty-prebuilds", `${target}-${version}`);
  if (existsSync(join(cache, "package/package.json"))) return join(cache, "package");
  rmSync(cache, { recursive: true, force: true });
  mkdirSync(cache, { recursive: true });
  const tarball = run("npm", ["pack", `${name}@${version}`, "--silent", "--pack-destination", cache]).trim();
  run("tar", ["-xzf", join(cache, tarball.split("\n").at(-1)), "-C", cache]);
  return join(cache, "package");
}

/** Refuses a VSIX that ships another platform's binary, none for its own, or source, test or map files. */
function check(vsix, target) {
  const files = run("unzip", ["-Z1", vsix]).split("\n").filter(Boolean);
  const binaries = files.filter((f) => f.endsWith(".node"));
  const expected = `extension/dist/node_modules/@lydell/node-pty-${target}/pty.node`;
  const problems = [];
  if (!files.includes(expected)) problems.push(`missing ${expected}`);
  for (const f of binaries) if (!f.includes(`/node-pty-${target}/`)) problems.push(`foreign binary ${f}`);
  for (const f of files)
    if (/\.(ts|map)$/.test(f) || /^extension\/(src|test|scripts|bench)\//.test(f))
      problems.push(`ships ${f}`);
  if (problems.length) {
    console.error(`package: ${vsix}:\n  ${problems.join("\n  ")}`);
    process.exit(1);
  }
  return files.length;
}

for (const target of only.length ? only : TARGETS) {
  const from = prebuild(target);
  const out = join(root, `${pkg.name}-${pkg.version}-${target}.vsix`);
  const args = [
    vsce,
    "package",
    "--no-dependencies",
    "--allow-missing-repository",
    "--no-rewrite-relative-links",
    // The extension page gets the user-facing README; README.md is the developer's (links into the repository).
    "--readme-path",
    "README.marketplace.md",
    "--target",
    target,
    "--out",
    out,
  ];
  const result = spawnSync(process.execPath, args, {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, SENTINEL_PTY_TARGET: target, SENTINEL_PTY_PREBUILD: from },
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
  const count = check(out, target);
  const size = statSync(out).size;
  console.log(`package: ${out} (${(size / 1024).toFixed(0)} KiB, ${count} files, ${target})`);
}
// dist/ now holds the last target's production build and prebuild: build it again for this machine.
run(process.execPath, [join(root, "scripts/build.mjs")], { stdio: "inherit" });
