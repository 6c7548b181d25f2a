// `npm run screenshots`: pictures of the extension in a real VS Code 1.139 (code-server 4.139.1 + headless
// Chromium through playwright-core, the tools of scripts/vscode-test/tools.mjs), saved at 1440x900 into
// docs/screenshots/: sidebar.png (Sessions tree with live sessions), terminal.png (a session attached in a
// terminal), servers.png (the Servers view: the companion and a second Sentinel server that wants its token),
// ops.png (the Ops view) and player.png (the cast player playing a fresh recording).
//
// Builds nothing: run `npm run build` first. Downloads nothing. Everything it starts runs in one temp dir
// (HOME, TMPDIR, a private tmux server `tmux -S <tmp>/tmux/sock -f /dev/null`, VS Code's profile, the
// extension's data dir) and carries SENTINEL_SCREENSHOTS_RUN=<id> in its environment; at the end (also on
// failure) Chromium, code-server's process group and the tmux server are stopped, whatever still carries the
// marker is killed by pid, and the temp dir is removed (SENTINEL_SCREENSHOTS_KEEP=1 keeps it).
//
// Options: --out <dir> (default docs/screenshots). Needs the tools of `node scripts/vscode-test/tools.mjs`.
import { execFileSync, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS, freePort, OFFLINE_USER_SETTINGS, reap } from "./vscode-test/common.mjs";
import { installedTools } from "./vscode-test/tools.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..");
const argv = process.argv.slice(2);
const outAt = argv.indexOf("--out");
const outDir = resolve(outAt >= 0 ? argv[outAt + 1] : join(repo, "docs", "screenshots"));
const keep = process.env.SENTINEL_SCREENSHOTS_KEEP === "1";
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const say = (message) => process.stderr.write(`screenshots: ${message} (${elapsed()})\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const VIEWPORT = { width: 1440, height: 900 };

/** Quiet, offline workbench settings, plus a tidy look for pictures. */
const USER_SETTINGS = {
  ...OFFLINE_USER_SETTINGS,
  "workbench.enableExperiments": false,
  "terminal.integrated.fontSize": 13,
  "workbench.colorTheme": "Default Dark Modern",
  "window.commandCenter": true,
  "editor.minimap.enabled": false,
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "workbench.layoutControl.enabled": false,
  "sentinel.notifications": "off",
};

/** A small, plausible project for the Explorer and the sessions' working directory. */
function writeWorkspace(dir) {
  const files = {
    "package.json": `${JSON.stringify({ name: "shop-api", version: "1.4.2", private: true, scripts: { start: "node src/server.js", build: "tsc -p .", test: "node --test" } }, null, 2)}\n`,
    "README.md": "# shop-api\n\nOrders and inventory service.\n",
    "src/server.js":
      'import { createServer } from "node:http";\n\ncreateServer((req, res) => res.end("ok")).listen(8080);\n',
    "src/orders.js":
      "export function total(order) {\n  return order.items.reduce((sum, i) => sum + i.price * i.qty, 0);\n}\n",
    "migrations/0007_add_order_status.sql":
      "ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'new';\n",
  };
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}

/** The sessions in the pictures: `api` (a server printing request logs), `build`, `db` (split panes). */
function startTmux(socket, workspace, env) {
  mkdirSync(dirname(socket), { recursive: true });
  const tmux = (...args) =>
    execFileSync("tmux", ["-S", socket, "-f", "/dev/null", ...args], { env, encoding: "utf8" });
  const shell = "bash --norc --noprofile";
  const size = ["-x", "160", "-y", "42"];
  const common = ["-c", workspace];
  const prompt = "PS1='\\[\\e[32m\\]dev@shop\\[\\e[0m\\]:\\[\\e[34m\\]\\W\\[\\e[0m\\]\\$ '; ";
  const type = (target, line) => tmux("send-keys", "-t", target, prompt + line, "Enter");

  tmux("new-session", "-d", "-s", "api", "-n", "server", ...size, ...common, shell);
  tmux("set-option", "-g", "status-style", "bg=colour24,fg=white");
  tmux("new-window", "-d", "-t", "=api", "-n", "logs", ...common, shell);
  type(
    "=api:server",
    `clear; echo '> shop-api@1.4.2 start'; echo 'listening on :8080'; paths=(/api/orders /api/orders/1042 /api/cart /api/inventory /healthz /api/users/me); codes=(200 200 200 201 200 304 200 404); while :; do p=\${paths[RANDOM%6]}; c=\${codes[RANDOM%8]}; printf '%s \\e[32mINFO\\e[0m  %-5s %-22s %s %3dms\\n' "$(date +%H:%M:%S.%3N)" GET "$p" "$c" $((RANDOM%120+3)); sleep 0.$((RANDOM%6+2)); done`,
  );
  type("=api:logs", "clear; tail -n 3 migrations/0007_add_order_status.sql; ls -la src");

  tmux("new-session", "-d", "-s", "build", "-n", "watch", ...size, ...common, shell);
  type(
    "=build:watch",
    `clear; for i in 1 2 3; do echo "[$(date +%T)] File change detected. Starting incremental compilation..."; sleep 0.3; echo "[$(date +%T)] Found 0 errors. Watching for file changes."; done`,
  );
  tmux("new-window", "-d", "-t", "=build", "-n", "test", ...common, shell);
  type(
    "=build:test",
    `clear; printf '\\e[32m✔\\e[0m orders total (0.8ms)\\n\\e[32m✔\\e[0m cart merge (1.2ms)\\n\\e[32m✔\\e[0m inventory reserve (3.1ms)\\nℹ tests 3\\nℹ pass 3\\nℹ fail 0\\n'`,
  );

  tmux("new-session", "-d", "-s", "db", "-n", "postgres", ...size, ...common, shell);
  tmux("split-window", "-d", "-h", "-t", "=db:postgres", ...common, shell);
  type(
    "=db:postgres.0",
    `clear; while :; do printf '%s  conns %2d/100  tps %4d  cache hit 99.%d%%  repl lag %dms\\n' "$(date +%T)" $((RANDOM%20+12)) $((RANDOM%400+800)) $((RANDOM%9)) $((RANDOM%30)); sleep 1; done`,
  );
  type(
    "=db:postgres.1",
    `clear; printf 'shop=# SELECT status, count(*) FROM orders GROUP BY 1;\\n status   | count\\n----------+-------\\n new      |    42\\n paid     |  1318\\n shipped  |  1207\\n(3 rows)\\n\\n'`,
  );
  tmux("new-window", "-d", "-t", "=db", "-n", "backup", ...common, shell);
  return tmux;
}

/** The extension's companion server, once it is up: its URL (runtime.json) and token (its environment). */
async function companion(dataDir, marker) {
  for (let i = 0; i < 300; i++) {
    try {
      const info = JSON.parse(readFileSync(join(dataDir, "runtime.json"), "utf8"));
      const environ = readFileSync(`/proc/${info.pid}/environ`, "utf8");
      if (environ.includes(marker)) {
        const token = environ
          .split("\0")
          .find((v) => v.startsWith("SENTINEL_TOKEN="))
          ?.slice("SENTINEL_TOKEN=".length);
        if (token) return { url: info.url, token };
      }
    } catch {}
    await sleep(100);
  }
  throw new Error("the extension's companion server did not start (no runtime.json)");
}

/** The bundled server on a free port with a token of its own; resolves with its URL from the ready line. */
async function startStaging(env, dataDir, tmuxSocket, started) {
  mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      join(repo, "dist", "server.js"),
      "serve",
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--data-dir",
      dataDir,
      "--tmux-socket",
      tmuxSocket,
    ],
    { env: { ...env, SENTINEL_TOKEN: randomUUID() }, stdio: ["ignore", "pipe", "ignore"] },
  );
  started(child);
  return await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the staging server did not start within 30 s")), 30_000);
    child.once("exit", (code) => reject(new Error(`the staging server exited (${code})`)));
    let buffered = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk) => {
      buffered += chunk;
      for (const line of buffered.split("\n")) {
        try {
          const ready = JSON.parse(line);
          if (ready.event === "ready") {
            clearTimeout(timer);
            resolve(ready.url);
          }
        } catch {}
      }
    });
  });
}

async function api(server, method, path, body) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${server.token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

async function main() {
  const tools = installedTools();
  if (!tools) throw new Error("test tools missing: run `node scripts/vscode-test/tools.mjs`");
  if (!existsSync(join(repo, "dist", "extension.js")) || !existsSync(join(repo, "media", "vendor"))) {
    throw new Error("the extension is not built: run `npm run build` first");
  }

  const runId = randomUUID();
  const marker = `SENTINEL_SCREENSHOTS_RUN=${runId}`;
  const root = mkdtempSync(join(tmpdir(), "sentinel-screenshots-"));
  const dirs = {
    home: join(root, "home"),
    tmp: join(root, "tmp"),
    workspace: join(root, "shop-api"),
    userData: join(root, "user-data"),
    extensions: join(root, "extensions"),
    data: join(root, "data"),
    scratch: join(root, "host"),
  };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  writeWorkspace(dirs.workspace);
  const env = {
    ...process.env,
    HOME: dirs.home,
    TMPDIR: dirs.tmp,
    XDG_CONFIG_HOME: join(dirs.home, ".config"),
    XDG_DATA_HOME: join(dirs.home, ".local", "share"),
    XDG_CACHE_HOME: join(dirs.home, ".cache"),
    XDG_RUNTIME_DIR: dirs.tmp,
    SHELL: "/bin/bash",
    PATH: `${dirname(tools.node)}${delimiter}${process.env.PATH}`,
    SENTINEL_SCREENSHOTS_RUN: runId,
    // An open alert for the Ops view: health checks every 2 s, any disk usage over 1 % is "high".
    SENTINEL_OPS_HEALTH_INTERVAL: "2s",
    SENTINEL_OPS_DISK_THRESHOLD: "1",
  };
  for (const key of ["TMUX", "TMUX_PANE", "SENTINEL_TOKEN"]) delete env[key];

  const socket = join(root, "tmux", "sock");
  let tmux;
  let stagingTmux;
  let staging;
  let server;
  let serverExit;
  let browser;
  const cleanup = async () => {
    if (browser) await Promise.race([browser.close().catch(() => {}), sleep(5000)]);
    if (server && serverExit === undefined) {
      try {
        process.kill(-server.pid, "SIGTERM");
      } catch {}
      for (let i = 0; i < 50 && serverExit === undefined; i++) await sleep(100);
      try {
        process.kill(-server.pid, "SIGKILL");
      } catch {}
    }
    if (staging && staging.exitCode === null && staging.signalCode === null) {
      const exited = new Promise((r) => staging.once("exit", r));
      staging.kill("SIGTERM");
      await Promise.race([exited, sleep(5000)]);
    }
    for (const t of [tmux, stagingTmux]) {
      try {
        t?.("kill-server");
      } catch {}
    }
    await reap(marker, say);
    if (keep) say(`kept ${root}`);
    else rmSync(root, { recursive: true, force: true });
  };
  let cleaning;
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.on(signal, () => {
      cleaning ??= cleanup().finally(() => process.exit(130));
    });
  }

  try {
    tmux = startTmux(socket, dirs.workspace, env);
    // A second Sentinel server ("staging": another host's, in real use) on a tmux of its own, for the Servers view.
    const stagingSocket = join(root, "tmux-staging", "sock");
    mkdirSync(dirname(stagingSocket), { recursive: true });
    stagingTmux = (...args) =>
      execFileSync("tmux", ["-S", stagingSocket, "-f", "/dev/null", ...args], { env, encoding: "utf8" });
    stagingTmux("new-session", "-d", "-s", "deploy", "-c", dirs.workspace, "bash --norc --noprofile");
    const stagingUrl = await startStaging(env, join(root, "staging"), stagingSocket, (child) => {
      staging = child;
    });
    say(`staging server at ${stagingUrl}`);
    const sentinel = {
      "sentinel.tmuxSocket": socket,
      "sentinel.dataDir": dirs.data,
      "sentinel.servers": [{ name: "staging", url: stagingUrl }],
    };
    for (const scope of ["User", "Machine"]) {
      mkdirSync(join(dirs.userData, scope), { recursive: true });
      const settings = scope === "User" ? { ...USER_SETTINGS, ...sentinel } : sentinel;
      writeFileSync(join(dirs.userData, scope, "settings.json"), JSON.stringify(settings, null, 2));
    }

    const port = await freePort();
    const host = `127.0.0.1:${port}`;
    const log = createWriteStream(join(dirs.scratch, "code-server.log"));
    server = spawn(
      tools.node,
      [
        tools.codeServerEntry,
        "--bind-addr",
        host,
        "--auth",
        "none",
        "--disable-telemetry",
        "--disable-update-check",
        "--disable-workspace-trust",
        "--disable-getting-started-override",
        "--config",
        join(dirs.scratch, "config.yaml"),
        "--user-data-dir",
        dirs.userData,
        "--extensions-dir",
        dirs.extensions,
        "--vscode-option",
        "enable-smoke-test-driver",
        dirs.workspace,
      ],
      { env, detached: true, stdio: ["ignore", "pipe", "pipe"] },
    );
    server.stdout.pipe(log);
    server.stderr.pipe(log);
    server.once("exit", (code, signal) => {
      serverExit = code ?? signal;
    });
    for (;;) {
      if (serverExit !== undefined) throw new Error(`code-server exited early (${serverExit})`);
      try {
        if ((await fetch(`http://${host}/healthz`)).ok) break;
      } catch {}
      if (Date.now() - started > 60_000) throw new Error("code-server did not answer /healthz within 60 s");
      await sleep(100);
    }
    say(`code-server up on ${host}`);

    browser = await chromium.launch({
      executablePath: tools.chromium,
      headless: true,
      timeout: 60_000,
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
      env,
      args: CHROMIUM_ARGS,
    });
    const page = await browser.newPage({ viewport: VIEWPORT, deviceScaleFactor: 1 });
    page.on("pageerror", (error) => say(`page error: ${error.message}`));
    const payload = [["extensionDevelopmentPath", `vscode-remote://${host}${repo}`]];
    await page.goto(
      `http://${host}/?folder=${encodeURIComponent(dirs.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`,
      { waitUntil: "domcontentloaded", timeout: 60_000 },
    );
    await page.locator(".monaco-workbench .part.activitybar").waitFor({ timeout: 60_000 });
    say("workbench up");

    await takeShots(page, { dirs, marker });
  } catch (error) {
    try {
      const pages = browser?.contexts()[0]?.pages() ?? [];
      if (pages[0]) {
        await pages[0].screenshot({ path: join(dirs.scratch, "failure.png") });
        if (!keep) {
          mkdirSync(outDir, { recursive: true });
          await pages[0].screenshot({ path: join(outDir, "failure.png") });
          say(`failure picture: ${join(outDir, "failure.png")}`);
        }
      }
    } catch {}
    throw error;
  } finally {
    cleaning ??= cleanup();
    await cleaning;
  }
}

/** Runs a command from the command palette; `pick` answers the quick pick that follows, if any. */
async function command(page, title, pick) {
  // No stray Escape: with a terminal focused it would reach the shell.
  const input = page.locator(".quick-input-widget input");
  if (await input.isVisible()) await page.keyboard.press("Escape");
  await page.keyboard.press("F1");
  await input.waitFor({ state: "visible" });
  await input.fill(`>${title}`);
  const row = page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first();
  await row.waitFor({ timeout: 10_000 });
  await sleep(200);
  await page.keyboard.press("Enter");
  if (pick !== undefined) {
    const choice = page.locator(".quick-input-list .monaco-list-row", { hasText: pick }).first();
    await choice.waitFor({ timeout: 15_000 });
    await sleep(200);
    await choice.click();
  }
}

const treeRow = (page, view, label) =>
  page.locator(`.pane:has(.pane-header[aria-label*="${view}"]) .monaco-list-row`, { hasText: label }).first();

/** Expands or collapses one of the Sentinel container's views by its header. */
async function pane(page, name, expanded) {
  const header = page
    .locator(".part.sidebar .pane-header", {
      has: page.locator("h3.title", { hasText: new RegExp(`^${name}$`) }),
    })
    .first();
  await header.waitFor({ timeout: 10_000 });
  if ((await header.getAttribute("aria-expanded")) !== String(expanded)) await header.click();
  await sleep(300);
}

async function expandRow(page, view, label) {
  const row = treeRow(page, view, label);
  await row.waitFor({ timeout: 15_000 });
  // The twistie: a click on the row itself runs the row's command (select; a double click attaches).
  if ((await row.getAttribute("aria-expanded")) === "false") await row.locator(".monaco-tl-twistie").click();
  await sleep(400);
}

async function takeShots(page, { dirs, marker }) {
  const shoot = async (name) => {
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, name);
    await page.screenshot({ path: file, type: "png" });
    say(`${file}: ${(statSync(file).size / 1024).toFixed(0)} KB`);
  };

  // A file open in the editor, and a wider side bar.
  await page.keyboard.press("Control+p");
  await page.locator(".quick-input-widget input").fill("orders.js");
  await page.locator(".quick-input-list .monaco-list-row", { hasText: "orders.js" }).first().waitFor();
  await page.keyboard.press("Enter");
  await page.locator(".monaco-editor .view-lines").first().waitFor({ timeout: 15_000 });
  await page.locator('.activitybar .action-item a[aria-label^="Sentinel"]').first().click();
  await treeRow(page, "Sessions", "api").waitFor({ timeout: 60_000 });
  const bar = await page.locator(".part.sidebar").boundingBox();
  if (bar) {
    const y = bar.y + bar.height / 2;
    await page.mouse.move(bar.x + bar.width + 1, y);
    await page.mouse.down();
    await page.mouse.move(bar.x + 420, y, { steps: 10 });
    await page.mouse.up();
  }
  const server = await companion(dirs.data, marker);
  say(`companion server at ${server.url}`);

  // Sidebar: sessions expanded down to their panes.
  await pane(page, "Recordings", false);
  await pane(page, "Events", false);
  for (const label of ["api", "build", "db"]) await expandRow(page, "Sessions", label);
  await expandRow(page, "Sessions", "postgres");
  await page.locator(".monaco-editor .view-lines").first().click();
  await sleep(1500);
  await shoot("sidebar.png");

  // The Servers view: the companion (active) and staging, which wants its token (the fix is the row's button).
  await pane(page, "Servers", true);
  await treeRow(page, "Servers", "staging").waitFor({ timeout: 30_000 });
  await sleep(3000);
  await treeRow(page, "Servers", "staging").hover();
  await sleep(500);
  await shoot("servers.png");
  await pane(page, "Servers", false);

  // An attached terminal: Sentinel: Attach → db (two panes side by side).
  await command(page, "Sentinel: Attach", "db");
  await page.locator(".terminal-wrapper .xterm").first().waitFor({ timeout: 30_000 });
  await sleep(4000);
  await shoot("terminal.png");

  // The Ops view with a runbook that ran.
  await api(server, "POST", "/api/ops/runbooks", {
    id: "deploy-api",
    name: "Deploy shop-api",
    description: "Build, migrate and restart the api",
    enabled: true,
    steps: [
      { type: "check", title: "Disk has room", check: "df -h / >/dev/null" },
      { type: "command", title: "Build", command: "sleep 1; echo built" },
      { type: "command", title: "Run migrations", command: "sleep 1; echo migrated" },
      { type: "command", title: "Restart api", command: "echo restarted" },
    ],
  });
  await api(server, "POST", "/api/ops/runbooks", {
    id: "rotate-logs",
    name: "Rotate logs",
    description: "Compress yesterday's logs",
    enabled: true,
    steps: [{ type: "command", title: "Compress", command: "true" }],
  });
  await api(server, "POST", "/api/ops/runbooks/deploy-api/run");
  await command(page, "Sentinel: Refresh Ops");
  await pane(page, "Sessions", false);
  await pane(page, "Ops", true);
  await sleep(2500);
  for (const label of ["Runbooks", "Jobs"]) {
    const row = treeRow(page, "Ops", label);
    if (await row.count()) await expandRow(page, "Ops", label);
  }
  await page.locator(".monaco-editor .view-lines").first().click();
  await sleep(1500);
  await shoot("ops.png");

  // A short recording of `api`, played in the cast player.
  await command(page, "Sentinel: Record Session", "api");
  await sleep(8000);
  await command(page, "Sentinel: Stop Recording");
  await sleep(1500);
  await pane(page, "Ops", false);
  await pane(page, "Sessions", true);
  await pane(page, "Recordings", true);
  await command(page, "View: Hide Panel");
  await command(page, "Sentinel: Play Recording", "api");
  const player = page.frameLocator("iframe.webview.ready").frameLocator("#active-frame");
  await player.getByRole("button", { name: "Play" }).first().click({ timeout: 20_000 });
  await sleep(5000);
  await shoot("player.png");
}

main().then(
  () => {
    say("done");
    process.exit(0);
  },
  (error) => {
    say(`FAILED: ${error.stack || error.message}`);
    process.exit(1);
  },
);
