// Store integrity as a user-visible fact (issue 14 item 5), against the real server and real SQLite files: a
// database emptied to 0 bytes, cut in half, or replaced by garbage is kept beside the new one with its original
// bytes, and the user learns it from an ops alert, an ops timeline entry and GET /api/meta's `storeRecovery`
// (gone once the alert is acknowledged). A new data dir and a healthy database report nothing.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { MetaResponse, StoreRecovery } from "../../src/protocol/api.js";
import type { AlertsResponse, OpsAlert, TimelineResponse } from "../../src/protocol/ops.js";
import { type ServerHandle, startServer } from "./serverFixture.js";
import { startTmux, type TmuxFixture } from "./tmuxFixture.js";

let tmux: TmuxFixture;
const dirs: string[] = [];
/** The bytes of a real, healthy store written by this server (then cut in half for one case). */
let healthy: Buffer;

before(async () => {
  tmux = await startTmux();
  const dataDir = tempDir();
  const h = await startServer({ tmuxSocket: tmux.socket, dataDir });
  try {
    assert.equal((await h.api("/api/meta")).status, 200);
  } finally {
    await h.stop();
  }
  healthy = readFileSync(join(dataDir, "sentinel.db"));
});

after(async () => {
  await tmux?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "sentinel-store-"));
  dirs.push(d);
  return d;
}

async function data<T>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  return (JSON.parse(text) as { data: T }).data;
}

const keptCopies = (dataDir: string) =>
  readdirSync(dataDir).filter((f) => /^sentinel\.db\.corrupt-[^-]/.test(f) && !/-(journal|wal|shm)$/.test(f));

interface Seen {
  recovery: StoreRecovery;
  alert: OpsAlert;
}

/** Starts a server on `dataDir`, checks every place the recovery must show, and returns what it saw. */
async function checkRecovered(h: ServerHandle, original: Buffer, reason: RegExp): Promise<Seen> {
  const dbPath = join(h.dataDir, "sentinel.db");
  const copies = keptCopies(h.dataDir);
  assert.equal(copies.length, 1, `one kept copy: ${readdirSync(h.dataDir).join(", ")}`);
  const keptAs = join(h.dataDir, copies[0]!);
  assert.deepEqual(readFileSync(keptAs), original, "the copy has the original bytes");
  assert.ok(readFileSync(dbPath).length > 0, "a new store was created in its place");

  const meta = await data<MetaResponse>(await h.api("/api/meta"));
  assert.ok(meta.storeRecovery, "GET /api/meta says what happened");
  assert.equal(meta.storeRecovery.keptAs, keptAs);
  assert.equal(meta.storeRecovery.path, dbPath);
  assert.equal(meta.storeRecovery.bytes, original.length);
  assert.match(meta.storeRecovery.reason, reason);
  assert.ok(!Number.isNaN(Date.parse(meta.storeRecovery.at)));
  // The existing fields are still there.
  assert.equal(meta.tokenRequired, true);
  assert.equal(typeof meta.version, "string");

  const { alerts } = await data<AlertsResponse>(await h.api("/api/ops/alerts"));
  const alert = alerts.find((a) => a.source === "store");
  assert.ok(alert, `an ops alert: ${JSON.stringify(alerts)}`);
  assert.equal(alert.severity, "error");
  assert.equal(alert.status, "open");
  assert.equal(alert.id, meta.storeRecovery.alertId);
  assert.ok(alert.message.includes(keptAs), alert.message);
  assert.equal(JSON.parse(alert.metadata).keptAs, keptAs);

  const { events } = await data<TimelineResponse>(await h.api("/api/ops/timeline?eventType=store.recovered"));
  assert.equal(events.length, 1, JSON.stringify(events));
  assert.equal(events[0]!.source, "store");
  assert.equal(events[0]!.severity, "error");
  assert.ok(events[0]!.message.includes(keptAs), events[0]!.message);
  // The timeline's search finds it by the copy's name too.
  const found = await data<TimelineResponse>(
    await h.api(`/api/ops/timeline?q=${encodeURIComponent(copies[0]!)}`),
  );
  assert.ok(found.events.some((e) => e.eventType === "store.recovered"));
  return { recovery: meta.storeRecovery, alert };
}

describe("a database the server cannot use is kept aside and reported", () => {
  test("0 bytes: kept (not opened as a new, empty database), alert, timeline entry, meta until acked", async () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, "sentinel.db"), "");
    const h = await startServer({ tmuxSocket: tmux.socket, dataDir });
    try {
      const { alert } = await checkRecovered(h, Buffer.alloc(0), /empty \(0 bytes\)/);
      // Acknowledged: the meta field goes; the alert and the timeline entry stay.
      await data(await h.api(`/api/ops/alerts/${alert.id}/ack`, { method: "POST" }));
      const meta = await data<MetaResponse>(await h.api("/api/meta"));
      assert.equal(meta.storeRecovery, undefined);
    } finally {
      await h.stop();
    }
    // The next start opens the new store as it is: nothing kept, nothing reported.
    const again = await startServer({ tmuxSocket: tmux.socket, dataDir });
    try {
      assert.equal(keptCopies(dataDir).length, 1);
      const meta = await data<MetaResponse>(await again.api("/api/meta"));
      assert.equal(meta.storeRecovery, undefined);
      const { events } = await data<TimelineResponse>(
        await again.api("/api/ops/timeline?eventType=store.recovered"),
      );
      assert.equal(events.length, 1, "the entry of the first start is still there, no new one");
    } finally {
      await again.stop();
    }
  });

  test("half-truncated: kept with its bytes, alert, timeline entry, meta", async () => {
    const dataDir = tempDir();
    const db = join(dataDir, "sentinel.db");
    writeFileSync(db, healthy);
    truncateSync(db, Math.floor(healthy.length / 2));
    const original = readFileSync(db);
    const h = await startServer({ tmuxSocket: tmux.socket, dataDir });
    try {
      await checkRecovered(h, original, /malformed|integrity check failed|not a database/);
      assert.match(h.logs(), /kept it as .*sentinel\.db\.corrupt-/);
    } finally {
      await h.stop();
    }
  });

  test("garbage: kept with its bytes, alert, timeline entry, meta", async () => {
    const dataDir = tempDir();
    const original = Buffer.alloc(16_384, 0x5a);
    writeFileSync(join(dataDir, "sentinel.db"), original);
    const h = await startServer({ tmuxSocket: tmux.socket, dataDir });
    try {
      await checkRecovered(h, original, /not a database/);
    } finally {
      await h.stop();
    }
  });

  test("a new data dir and a healthy database report nothing", async () => {
    const fresh = tempDir();
    const healthyDir = tempDir();
    writeFileSync(join(healthyDir, "sentinel.db"), healthy);
    for (const dataDir of [fresh, healthyDir]) {
      const h = await startServer({ tmuxSocket: tmux.socket, dataDir });
      try {
        assert.deepEqual(keptCopies(dataDir), []);
        const meta = await data<MetaResponse>(await h.api("/api/meta"));
        assert.equal(meta.storeRecovery, undefined);
        const { alerts } = await data<AlertsResponse>(await h.api("/api/ops/alerts"));
        assert.equal(alerts.filter((a) => a.source === "store").length, 0);
      } finally {
        await h.stop();
      }
    }
  });
});
