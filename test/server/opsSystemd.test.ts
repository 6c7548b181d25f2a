// Ops services on the systemd path, against the real server and a RECORDED FIXTURE: this machine (like CI) is a
// container without systemd, so test/fixtures/recorded-systemd/ puts a fake `systemctl` and `journalctl` first
// on PATH. They answer in systemd 252's exact output formats and keep unit states in a JSON file, so actions
// change what later calls see; every command line the server ran is logged next to it and checked here.
// Covered: the list with the built-ins, register/unregister and their validation, browse/discover, start/stop/
// restart with timeline events, ops.* events and the failed-state alert, action failures, status, logs (by
// name and by unit, line clamping), /ws/logs streaming, and the health checker's service alerts.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";
import type { EventEnvelope } from "../../src/protocol/events.js";
import type {
  AlertsResponse,
  BrowsedService,
  DiscoveredService,
  OpsTimelineEvent,
  Overview,
  ServiceActionResponse,
  ServiceInspect,
  ServiceStatus,
  TimelineResponse,
} from "../../src/protocol/ops.js";
import { type ServerHandle, startServer } from "./serverFixture.js";
import { startTmux, type TmuxFixture, waitFor } from "./tmuxFixture.js";

const FIXTURE_BIN = join(__dirname, "..", "fixtures", "recorded-systemd");
/** The server (like the Go one) tracks its built-ins in the system manager when it runs as root. */
const BUILTIN_SCOPE = process.getuid?.() === 0 ? "system" : "user";

let tmux: TmuxFixture;
let server: ServerHandle;
let dir: string;
let statePath: string;

const unit = (description: string, active: string, sub: string, enabled: string, extra: object = {}) => ({
  description,
  active,
  sub,
  enabled,
  ...extra,
});

function initialState() {
  const state: Record<string, unknown> = {
    user: {
      "web.service": unit("Dev web server", "inactive", "dead", "disabled"),
      "flaky.service": unit("Flaky worker", "inactive", "dead", "enabled", { crashesAfterStart: true }),
      "broken.service": unit("Broken job", "inactive", "dead", "static", { startFails: true }),
    },
    system: {
      "ssh.service": unit("OpenBSD Secure Shell server", "active", "running", "enabled"),
      "cron.service": unit("Regular background program processing daemon", "active", "running", "enabled"),
      "apt-daily.timer": unit("Daily apt download activities", "active", "waiting", "enabled"),
    },
    journal: {
      user: {
        "web.service": [
          "2026-11-30T09:00:01+0000 vm systemd[812]: Started web.service - Dev web server.",
          "2026-11-30T09:00:02+0000 vm web[4242]: listening on :8080",
          "2026-11-30T09:00:03+0000 vm web[4242]: GET / 200",
        ],
      },
      system: {},
    },
  };
  (state[BUILTIN_SCOPE] as Record<string, unknown>)["sentinel.service"] = unit(
    "Sentinel companion server",
    "active",
    "running",
    "enabled",
  );
  return state;
}

const readState = () =>
  JSON.parse(readFileSync(statePath, "utf8")) as Record<
    string,
    Record<string, { active: string; sub: string }>
  >;
const calls = () => {
  try {
    return readFileSync(`${statePath}.calls`, "utf8").trim().split("\n");
  } catch {
    return [];
  }
};

before(async () => {
  tmux = await startTmux();
  dir = mkdtempSync(join(tmpdir(), "sentinel-systemd-fixture-"));
  statePath = join(dir, "state.json");
  writeFileSync(statePath, JSON.stringify(initialState(), null, 2));
  server = await startServer({
    tmuxSocket: tmux.socket,
    env: {
      PATH: `${FIXTURE_BIN}${delimiter}${process.env.PATH ?? ""}`,
      FAKE_SYSTEMD_STATE: statePath,
      SENTINEL_OPS_SERVICE_MANAGER: "systemd",
      SENTINEL_OPS_HEALTH_INTERVAL: "1s",
      // The fixture is a node script per call; a busy CI machine may need more than the spec's 3 s.
      SENTINEL_OPS_COMMAND_TIMEOUT: "30s",
      // Only the service checks matter here; this machine's CPU may well be busy.
      SENTINEL_OPS_CPU_THRESHOLD: "100",
      SENTINEL_OPS_MEMORY_THRESHOLD: "100",
      SENTINEL_OPS_DISK_THRESHOLD: "100",
    },
  });
});

after(async () => {
  await server?.stop();
  await tmux?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function json<T>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  return (JSON.parse(text) as { data: T }).data;
}

async function apiError(res: Response, status: number, code: string): Promise<string> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  const body = JSON.parse(text) as { error: { code: string; message: string } };
  assert.equal(body.error.code, code, text);
  return body.error.message;
}

const services = async () =>
  (await json<{ services: ServiceStatus[] }>(await server.api("/api/ops/services"))).services;
const action = (name: string, act: unknown) =>
  server.api(`/api/ops/services/${name}/action`, { method: "POST", json: { action: act } });

async function subscribe(): Promise<{ messages: EventEnvelope[]; close(): Promise<void> }> {
  const ws = new WebSocket(`${server.url.replace("http", "ws")}/ws/events`, ["sentinel.v1"], {
    headers: { authorization: `Bearer ${server.token}` },
  });
  const messages: EventEnvelope[] = [];
  ws.on("message", (d) => messages.push(JSON.parse(String(d)) as EventEnvelope));
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  return {
    messages,
    close: () =>
      new Promise<void>((resolve) => {
        ws.once("close", () => resolve());
        ws.close();
      }),
  };
}

describe("tracked services (recorded systemctl fixture)", () => {
  test("the list starts with the two built-ins, states from systemctl show", async () => {
    const list = await services();
    assert.equal(list.length, 2);
    const [sentinel, updater] = list;
    assert.deepEqual(
      { ...sentinel!, updatedAt: "" },
      {
        name: "sentinel",
        displayName: "Sentinel service",
        manager: "systemd",
        scope: BUILTIN_SCOPE,
        unit: "sentinel",
        updatedAt: "",
        exists: true,
        enabledState: "enabled",
        activeState: "active",
      },
    );
    // Not installed: LoadState=not-found, an empty UnitFileState normalised to "-".
    assert.equal(updater!.name, "sentinel-updater");
    assert.equal(updater!.unit, "sentinel-updater.timer");
    assert.equal(updater!.exists, false);
    assert.equal(updater!.enabledState, "-");
    assert.equal(updater!.activeState, "inactive");
    const scopeFlag = BUILTIN_SCOPE === "user" ? " --user" : "";
    assert.ok(
      calls().includes(
        `systemctl${scopeFlag} show sentinel sentinel-updater.timer --no-pager --property=UnitFileState,ActiveState,LoadState`,
      ),
      calls().join("\n"),
    );
  });

  test("register: 201 with the fresh list, timeline and event; validation and duplicates", async () => {
    const sub = await subscribe();
    try {
      const created = await json<{ services: ServiceStatus[]; globalRev: number }>(
        await server.api("/api/ops/services", {
          method: "POST",
          json: {
            name: "web",
            displayName: "Dev web",
            unit: "web.service",
            scope: "USER",
            manager: "SystemD",
          },
        }),
        201,
      );
      assert.deepEqual(
        created.services.map((s) => s.name),
        ["sentinel", "sentinel-updater", "web"],
      );
      const web = created.services[2]!;
      assert.equal(web.scope, "user");
      assert.equal(web.manager, "systemd");
      assert.equal(web.activeState, "inactive");
      assert.equal(web.enabledState, "disabled");
      assert.equal(web.exists, true);
      await json(
        await server.api("/api/ops/services", {
          method: "POST",
          json: { name: "flaky", unit: "flaky.service" },
        }),
        201,
      );
      await json(
        await server.api("/api/ops/services", {
          method: "POST",
          json: { name: "broken", unit: "broken.service" },
        }),
        201,
      );
      await waitFor(
        () =>
          sub.messages.some(
            (m) =>
              m.type === "ops.services.updated" && (m.payload as { action: string }).action === "registered",
          ),
        5000,
        "registered event",
      );
      const { events } = await json<TimelineResponse>(
        await server.api("/api/ops/timeline?eventType=service.registered"),
      );
      assert.equal(events.length, 3);
      assert.equal(events.at(-1)!.resource, "web");

      assert.equal(
        await apiError(
          await server.api("/api/ops/services", { method: "POST", json: { name: "web", unit: "x.service" } }),
          409,
          "OPS_SERVICE_EXISTS",
        ),
        "custom service already exists",
      );
      const bad: Array<[unknown, string]> = [
        [{ unit: "a.service" }, "name is required"],
        [{ name: "  ", unit: "a.service" }, "name is required"],
        [{ name: "a" }, "unit is required"],
        [
          { name: "a", unit: "-H evil" },
          "unit must be a systemd unit name (letters, digits, :-_.@\\; not starting with -)",
        ],
        [
          { name: "a", unit: "a.service; rm -rf /" },
          "unit must be a systemd unit name (letters, digits, :-_.@\\; not starting with -)",
        ],
        [{ name: "a/b", unit: "a.service" }, "name must match ^[A-Za-z0-9._@:-]{1,64}$"],
        [{ name: "a", unit: "a.service", scope: "galaxy" }, "scope must be user or system"],
        [{ name: "a", unit: "a.service", manager: "upstart" }, "manager must be systemd or launchd"],
        [{ name: "unit", unit: "a.service" }, 'name "unit" is reserved (a built-in service or route)'],
        [
          { name: "sentinel", unit: "a.service" },
          'name "sentinel" is reserved (a built-in service or route)',
        ],
      ];
      for (const [body, message] of bad) {
        assert.equal(
          await apiError(
            await server.api("/api/ops/services", { method: "POST", json: body }),
            400,
            "INVALID_REQUEST",
          ),
          message,
          JSON.stringify(body),
        );
      }
      await apiError(
        await server.api("/api/ops/services", { method: "POST", json: { name: "a", unit: "a", x: 1 } }),
        400,
        "INVALID_REQUEST",
      );
      await apiError(
        await server.api("/api/ops/services", { method: "POST", json: { name: 5, unit: "a" } }),
        400,
        "INVALID_REQUEST",
      );
    } finally {
      await sub.close();
    }
  });

  test("browse: both scopes from list-units, tracked rows marked, undiscovered tracked units appended", async () => {
    const { services: rows } = await json<{ services: BrowsedService[] }>(
      await server.api("/api/ops/services/browse"),
    );
    const find = (u: string, scope: string) => rows.find((r) => r.unit === u && r.scope === scope);
    assert.deepEqual(find("ssh.service", "system"), {
      unit: "ssh.service",
      description: "OpenBSD Secure Shell server",
      activeState: "active",
      manager: "systemd",
      scope: "system",
      enabledState: "",
      tracked: false,
    });
    assert.equal(find("apt-daily.timer", "system")?.activeState, "active");
    assert.deepEqual(
      { tracked: find("web.service", "user")?.tracked, name: find("web.service", "user")?.trackedName },
      { tracked: true, name: "web" },
    );
    assert.equal(find("sentinel.service", BUILTIN_SCOPE)?.trackedName, "sentinel");
    // The updater timer is tracked but not installed: appended with its enabledState.
    const updater = find("sentinel-updater.timer", BUILTIN_SCOPE)!;
    assert.equal(updater.tracked, true);
    assert.equal(updater.enabledState, "-");
    assert.ok(
      calls().includes(
        "systemctl --user list-units --type=service,timer --all --no-pager --no-legend --plain",
      ),
    );
    assert.ok(
      calls().includes("systemctl list-units --type=service,timer --all --no-pager --no-legend --plain"),
    );

    const { services: fresh } = await json<{ services: DiscoveredService[] }>(
      await server.api("/api/ops/services/discover"),
    );
    assert.ok(fresh.some((d) => d.unit === "cron.service"));
    assert.ok(!fresh.some((d) => d.unit === "web.service" || d.unit === "sentinel.service"));
    assert.deepEqual(Object.keys(fresh[0]!), ["unit", "description", "activeState", "manager", "scope"]);
  });

  test("start and stop: the unit changes, timeline service.action, ops.* events, overview counts", async () => {
    const sub = await subscribe();
    try {
      const started = await json<ServiceActionResponse>(await action("web", "START"));
      assert.equal(started.service.activeState, "active");
      assert.equal(readState().user!["web.service"]!.active, "active");
      assert.ok(calls().includes("systemctl --user start web.service"));
      assert.equal(started.timelineEvent.eventType, "service.action");
      assert.equal(started.timelineEvent.severity, "info");
      assert.equal(started.timelineEvent.message, "Dev web start");
      assert.equal(started.timelineEvent.details, "unit=web.service manager=systemd scope=user state=active");
      assert.deepEqual(JSON.parse(started.timelineEvent.metadata), {
        action: "start",
        service: "web",
        manager: "systemd",
        scope: "user",
        state: "active",
      });
      assert.deepEqual(started.alerts, []);
      assert.equal(started.overview.services.available, true);
      assert.equal(started.overview.services.total, 5);
      assert.equal(started.overview.services.active, 2);
      await waitFor(
        () => sub.messages.some((m) => m.type === "ops.overview.updated"),
        5000,
        "overview event",
      );
      const types = sub.messages
        .map((m) => m.type)
        .filter((t) => ["ops.timeline.updated", "ops.services.updated", "ops.overview.updated"].includes(t));
      assert.deepEqual(types.slice(0, 3), [
        "ops.timeline.updated",
        "ops.services.updated",
        "ops.overview.updated",
      ]);
      const servicesEvent = sub.messages.find((m) => m.type === "ops.services.updated")!.payload as {
        service: string;
        action: string;
        services: ServiceStatus[];
      };
      assert.equal(servicesEvent.service, "web");
      assert.equal(servicesEvent.action, "start");
      assert.equal(servicesEvent.services.length, 5);

      const stopped = await json<ServiceActionResponse>(await action("web", "stop"));
      assert.equal(stopped.service.activeState, "inactive");
      assert.equal(stopped.timelineEvent.severity, "warn");
      const restarted = await json<ServiceActionResponse>(await action("sentinel.service", "restart"));
      assert.equal(restarted.service.name, "sentinel");
    } finally {
      await sub.close();
    }
  });

  test("a unit that fails after start raises service:<name>:failed; a failing start is 500 OPS_ACTION_FAILED", async () => {
    const flaky = await json<ServiceActionResponse>(await action("flaky", "start"));
    assert.equal(flaky.service.activeState, "failed");
    assert.equal(flaky.timelineEvent.severity, "error");
    assert.equal(flaky.alerts.length, 1);
    assert.equal(flaky.alerts[0]!.dedupeKey, "service:flaky:failed");
    assert.equal(flaky.alerts[0]!.title, "flaky entered failed state");
    assert.equal(flaky.alerts[0]!.source, "service");
    assert.equal(flaky.overview.services.failed, 1);

    const message = await apiError(await action("broken", "start"), 500, "OPS_ACTION_FAILED");
    assert.equal(
      message,
      "systemctl start broken.service failed: Job for broken.service failed because the control process exited with error code.",
    );
    assert.equal(
      await apiError(await action("web", "explode"), 400, "INVALID_REQUEST"),
      "action must be start, stop, or restart",
    );
    await apiError(await action("web", undefined), 400, "INVALID_REQUEST");
    await apiError(await action("nosuch", "start"), 404, "OPS_SERVICE_NOT_FOUND");
  });

  test("the health checker raises health:service:<name>:failed and resolves it once the unit is active", async () => {
    const alerts = async () => (await json<AlertsResponse>(await server.api("/api/ops/alerts"))).alerts;
    await waitFor(
      async () => (await alerts()).some((a) => a.dedupeKey === "health:service:flaky:failed"),
      10_000,
      "health alert",
    );
    const alert = (await alerts()).find((a) => a.dedupeKey === "health:service:flaky:failed")!;
    assert.equal(alert.source, "health");
    assert.equal(alert.severity, "error");
    assert.equal(alert.title, "Service flaky failed");
    assert.equal(alert.message, "Service flaky is in failed state (unit=flaky.service)");
    const state = readState();
    Object.assign(state.user!["flaky.service"]!, {
      active: "active",
      sub: "running",
      crashesAfterStart: false,
    });
    writeFileSync(statePath, JSON.stringify(state));
    await waitFor(
      async () =>
        (await alerts()).find((a) => a.dedupeKey === "health:service:flaky:failed")?.status === "resolved",
      10_000,
      "health alert resolved",
    );
  });

  test("status: systemctl show properties, summary and raw output", async () => {
    const { status } = await json<{ status: ServiceInspect }>(
      await server.api("/api/ops/services/web/status"),
    );
    assert.equal(status.service.name, "web");
    assert.equal(status.summary, "load=loaded active=inactive sub=dead");
    assert.equal(status.properties?.Id, "web.service");
    assert.equal(status.properties?.Description, "Dev web server");
    assert.equal(status.properties?.FragmentPath, "/home/dev/.config/systemd/user/web.service");
    assert.equal(status.properties?.ExecMainPID, "0");
    assert.match(status.output!, /^ExecMainPID=0\nId=web.service\n/);
    assert.ok(
      calls().includes(
        "systemctl --user show web.service --no-pager --property=Id,Description,LoadState,UnitFileState,ActiveState,SubState,FragmentPath,ExecMainPID",
      ),
    );
    await apiError(await server.api("/api/ops/services/nosuch/status"), 404, "OPS_SERVICE_NOT_FOUND");
  });

  test("logs: journalctl -n N --output=short-iso; N echoed, clamped to 1000 in the command", async () => {
    const two = await json<{ service: string; lines: number; output: string }>(
      await server.api("/api/ops/services/web/logs?lines=2"),
    );
    assert.equal(two.service, "web");
    assert.equal(two.lines, 2);
    assert.equal(
      two.output,
      "2026-11-30T09:00:02+0000 vm web[4242]: listening on :8080\n2026-11-30T09:00:03+0000 vm web[4242]: GET / 200\n",
    );
    assert.ok(calls().includes("journalctl --user -u web.service --no-pager -n 2 --output=short-iso"));
    assert.equal(
      (await json<{ lines: number }>(await server.api("/api/ops/services/web/logs?lines=abc"))).lines,
      100,
    );
    assert.equal(
      (await json<{ lines: number }>(await server.api("/api/ops/services/web/logs?lines=-4"))).lines,
      100,
    );
    assert.equal(
      (await json<{ lines: number }>(await server.api("/api/ops/services/web/logs?lines=5000"))).lines,
      5000,
    );
    assert.ok(calls().includes("journalctl --user -u web.service --no-pager -n 1000 --output=short-iso"));
    const empty = await json<{ output: string }>(await server.api("/api/ops/services/flaky/logs"));
    assert.equal(empty.output, "-- No entries --\n");
  });

  test("unit routes: status, logs and action by unit, scope and manager", async () => {
    const { status } = await json<{ status: ServiceInspect }>(
      await server.api("/api/ops/services/unit/status?unit=ssh.service&scope=system"),
    );
    assert.equal(status.properties?.Description, "OpenBSD Secure Shell server");
    assert.equal(status.service.activeState, "active");
    const logs = await json<{ unit: string; lines: number; output: string }>(
      await server.api("/api/ops/services/unit/logs?unit=web.service&scope=user&lines=1"),
    );
    assert.deepEqual(logs, {
      unit: "web.service",
      lines: 1,
      output: "2026-11-30T09:00:03+0000 vm web[4242]: GET / 200\n",
    });
    const restarted = await json<{
      overview: Overview;
      alerts: unknown[];
      globalRev: number;
      timelineEvent: OpsTimelineEvent;
    }>(
      await server.api("/api/ops/services/unit/action", {
        method: "POST",
        json: { unit: "cron.service", scope: "system", manager: "systemd", action: "restart" },
      }),
    );
    assert.deepEqual(restarted.alerts, []);
    assert.equal(restarted.timelineEvent.details, "unit=cron.service manager=systemd scope=system state=");
    assert.ok(calls().includes("systemctl restart cron.service"));
    assert.equal(
      await apiError(await server.api("/api/ops/services/unit/status"), 400, "INVALID_REQUEST"),
      "unit is required",
    );
    await apiError(await server.api("/api/ops/services/unit/status?unit=--all"), 400, "INVALID_REQUEST");
    await apiError(
      await server.api("/api/ops/services/unit/logs?unit=x.service&scope=root"),
      400,
      "INVALID_REQUEST",
    );
    await apiError(
      await server.api("/api/ops/services/unit/action", {
        method: "POST",
        json: { unit: "x.service", manager: "launchd", action: "start" },
      }),
      500,
      "OPS_ACTION_FAILED",
    );
    await apiError(
      await server.api("/api/ops/services/unit/action", {
        method: "POST",
        json: { unit: "nosuch.service", action: "start" },
      }),
      500,
      "OPS_ACTION_FAILED",
    );
  });

  test("/ws/logs streams journalctl --follow line by line; unknown services get an error and 1011", async () => {
    const url = `${server.url.replace("http", "ws")}/ws/logs`;
    const headers = { authorization: `Bearer ${server.token}` };
    const ws = new WebSocket(`${url}?service=web`, ["sentinel.v1"], { headers });
    const messages: Array<{ type: string; line?: string; state?: string }> = [];
    ws.on("message", (d) => messages.push(JSON.parse(String(d))));
    await new Promise((resolve) => ws.once("open", resolve));
    assert.equal(ws.protocol, "sentinel.v1");
    await waitFor(() => messages.filter((m) => m.type === "log").length >= 5, 10_000, "followed lines");
    assert.deepEqual(messages[0], { type: "status", state: "streaming" });
    assert.deepEqual(
      messages.slice(1, 4).map((m) => m.line),
      [
        "2026-11-30T09:00:01+0000 vm systemd[812]: Started web.service - Dev web server.",
        "2026-11-30T09:00:02+0000 vm web[4242]: listening on :8080",
        "2026-11-30T09:00:03+0000 vm web[4242]: GET / 200",
      ],
    );
    assert.match(messages[4]!.line!, /follow line 1$/);
    assert.ok(
      calls().includes("journalctl --user -u web.service --no-pager -n 50 --output=short-iso --follow"),
    );
    const closed = new Promise((resolve) => ws.once("close", resolve));
    ws.close();
    await closed;

    const unknown = new WebSocket(`${url}?service=nosuch`, ["sentinel.v1"], { headers });
    const got: string[] = [];
    unknown.on("message", (d) => got.push(String(d)));
    const [code, reason] = await new Promise<[number, string]>((resolve) =>
      unknown.on("close", (c, r) => resolve([c, String(r)])),
    );
    assert.deepEqual([code, reason], [1011, "stream start failed"]);
    assert.deepEqual(JSON.parse(got[0]!), { type: "error", message: "ops service not found" });
  });

  test("unregister: 200 removed; built-ins and unknown names are 404", async () => {
    const removed = await json<{ removed: string; globalRev: number }>(
      await server.api("/api/ops/services/web", { method: "DELETE" }),
    );
    assert.equal(removed.removed, "web");
    assert.ok(!(await services()).some((s) => s.name === "web"));
    assert.equal(
      await apiError(
        await server.api("/api/ops/services/web", { method: "DELETE" }),
        404,
        "OPS_SERVICE_NOT_FOUND",
      ),
      "custom service not found",
    );
    await apiError(
      await server.api("/api/ops/services/sentinel", { method: "DELETE" }),
      404,
      "OPS_SERVICE_NOT_FOUND",
    );
    const { events } = await json<TimelineResponse>(await server.api("/api/ops/timeline?q=unregistered"));
    assert.equal(events[0]!.eventType, "service.unregistered");
  });
});
