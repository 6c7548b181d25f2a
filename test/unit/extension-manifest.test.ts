// The marketplace package (issue 16): the manifest's icon, view icons, main view and setting scopes; the files the
// VSIX carries as vsce lists them from .vscodeignore (no source, test or map files; the icon, notices, changelog
// and every image the extension page's README shows); the notices name every package bundled into dist/.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { listFiles, PackageManager } from "@vscode/vsce";

const repo = join(__dirname, "..", "..");
const manifest = JSON.parse(readFileSync(join(repo, "package.json"), "utf8"));
const MARKETPLACE_README = "README.marketplace.md";

interface View {
  id: string;
  icon: string;
  initialSize?: number;
}

/** Width and height of a PNG, from its IHDR chunk. */
function pngSize(file: string): { width: number; height: number } {
  const data = readFileSync(file);
  assert.equal(data.subarray(1, 4).toString("latin1"), "PNG", `${file} is a PNG`);
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
}

describe("extension manifest", () => {
  test("a 128x128 PNG icon", () => {
    assert.equal(manifest.icon, "media/icon.png");
    assert.deepEqual(pngSize(join(repo, manifest.icon)), { width: 128, height: 128 });
  });

  test("categories from VS Code's allowed list", () => {
    const allowed = [
      "AI",
      "Azure",
      "Chat",
      "Data Science",
      "Debuggers",
      "Extension Packs",
      "Education",
      "Formatters",
      "Keymaps",
      "Language Packs",
      "Linters",
      "Machine Learning",
      "Notebooks",
      "Programming Languages",
      "SCM Providers",
      "Snippets",
      "Testing",
      "Themes",
      "Visualization",
      "Other",
    ];
    assert.ok(manifest.categories.length > 0);
    for (const category of manifest.categories) assert.ok(allowed.includes(category), category);
  });

  test("each view has an icon file of its own; Sessions is the main view", () => {
    const views: View[] = manifest.contributes.views.sentinel;
    assert.deepEqual(
      views.map((v) => v.id),
      [
        "sentinel.sessions",
        "sentinel.servers",
        "sentinel.recordings",
        "sentinel.events",
        "sentinel.ops",
        "sentinel.recovery",
      ],
    );
    const icons = views.map((v) => v.icon);
    assert.equal(new Set(icons).size, icons.length, `distinct icons: ${icons}`);
    for (const icon of icons) {
      assert.match(icon, /^media\/.+\.svg$/, "a file path (codicons are not allowed for views)");
      assert.ok(existsSync(join(repo, icon)), icon);
      assert.match(readFileSync(join(repo, icon), "utf8"), /^<svg [^>]*viewBox="0 0 24 24"/);
    }
    const [sessions, ...others] = views;
    for (const view of others)
      assert.ok((sessions!.initialSize ?? 0) > (view.initialSize ?? 1), `Sessions is larger than ${view.id}`);
  });

  test("every setting has a scope and a description; the server's may be set on the User tab", () => {
    const properties: Record<string, { scope?: string; markdownDescription?: string; description?: string }> =
      manifest.contributes.configuration.properties;
    for (const [key, setting] of Object.entries(properties)) {
      assert.ok(
        [
          "application",
          "machine",
          "machine-overridable",
          "window",
          "resource",
          "language-overridable",
        ].includes(setting.scope ?? ""),
        `${key} scope ${setting.scope}`,
      );
      assert.ok((setting.markdownDescription ?? setting.description ?? "").length > 20, `${key} description`);
    }
    for (const key of [
      "sentinel.server.url",
      "sentinel.server.port",
      "sentinel.dataDir",
      "sentinel.tmuxSocket",
    ])
      assert.equal(properties[key]?.scope, "machine-overridable", key);
    assert.deepEqual(
      { type: "boolean", default: true },
      {
        type: (properties["sentinel.confirmKill"] as { type?: string }).type,
        default: (properties["sentinel.confirmKill"] as { default?: unknown }).default,
      },
    );
  });

  test("npm run package gives vsce the user-facing README", () => {
    const script = readFileSync(join(repo, "scripts/package.mjs"), "utf8");
    assert.match(script, new RegExp(`"--readme-path",\\s*"${MARKETPLACE_README.replace(".", "\\.")}"`));
  });
});

describe("VSIX contents (vsce's listing)", () => {
  let files: string[] = [];

  test("vsce lists the files", async () => {
    files = await listFiles({
      cwd: repo,
      packageManager: PackageManager.None,
      readmePath: MARKETPLACE_README,
    } as Parameters<typeof listFiles>[0]);
    assert.ok(files.length > 5, `files: ${files}`);
  });

  test("no source, test, bench, script or source-map files", () => {
    const bad = files.filter(
      (f) =>
        /^(src|test|bench|scripts|docs\/decisions)\//.test(f) ||
        /\.(ts|map|tsbuildinfo)$/.test(f) ||
        /^(node_modules|\.)/.test(f),
    );
    assert.deepEqual(bad, []);
  });

  test("the icon, view icons, changelog, notices and licence ship", () => {
    const views: View[] = manifest.contributes.views.sentinel;
    for (const file of [
      "media/icon.png",
      ...views.map((v) => v.icon),
      "CHANGELOG.md",
      "THIRD-PARTY-NOTICES.md",
      "LICENSE",
    ])
      assert.ok(files.includes(file), `${file} ships`);
  });

  test("every image of the extension page's README is a relative path to a file that ships", () => {
    const readme = readFileSync(join(repo, MARKETPLACE_README), "utf8");
    const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
    assert.ok(images.length >= 4, `images: ${images}`);
    for (const image of images) {
      assert.doesNotMatch(image, /^(\.\.|\/|https?:)/, `${image} resolves inside the VSIX`);
      assert.ok(files.includes(image), `${image} ships`);
    }
    for (const [, link] of readme.matchAll(/\]\(([^)\s]+)\)/g))
      assert.ok(/^https:\/\//.test(link!) || files.includes(link!), `link ${link} resolves`);
  });
});

describe("third-party notices", () => {
  const notices = readFileSync(join(repo, "THIRD-PARTY-NOTICES.md"), "utf8");

  test("name every package bundled into dist/ (from the development build's source maps)", (t) => {
    const maps = ["extension.js.map", "server-main.js.map"].map((f) => join(repo, "dist", f));
    if (!maps.every(existsSync)) return t.skip("no development build in dist/ (npm run build)");
    const packages = new Set<string>();
    for (const map of maps)
      for (const source of JSON.parse(readFileSync(map, "utf8")).sources as string[]) {
        const at = source.lastIndexOf("node_modules/");
        if (at < 0) continue;
        const parts = source.slice(at + "node_modules/".length).split("/");
        packages.add(parts[0]!.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!);
      }
    assert.ok(packages.size > 10, `packages: ${[...packages]}`);
    const missing = [...packages].filter((name) => !notices.includes(`### ${name} `));
    assert.deepEqual(missing, [], "bundled packages without a notice");
  });

  test("the copied code too: node-pty and the asciinema player with solid-js", () => {
    for (const name of ["@lydell/node-pty", "asciinema-player", "solid-js"])
      assert.ok(notices.includes(`### ${name} `), name);
    assert.match(notices, /Apache License/);
  });
});
