// A reference point for memory, not a product: the naive relay of bench/referenceProxy.ts written on the server's
// stack (fastify with its rate limiter and logger, the server's schema compilers, ws, the WASM SQLite store,
// node-pty, TypeBox validating a route), built by scripts/build.mjs and started through its loader (as
// dist/server.js is) with the environment the server gets.
// What any server on this stack pays at idle with one attached client before a feature of its own: the memory
// bench measures it beside ours in the same run (issue 17's idle target, ADR 0020).
// Build: node scripts/build.mjs --outdir DIR --server-entry bench/stackFloor.ts; run: node DIR/server.js
// <tmux socket> <data dir>. Prints `{"port":…,"pid":…}` when listening.
import { join } from "node:path";
import rateLimit from "@fastify/rate-limit";
import Fastify from "fastify";
import { Database } from "node-sqlite3-wasm";
import { Type } from "typebox";
import { WebSocketServer } from "ws";
import { schemaCompilers } from "../src/server/http/schemaCompilers.js";
import { relayEnv, relayTmux } from "./tmuxRelay.js";

async function serve(socket: string, dataDir: string): Promise<void> {
  const env = relayEnv();
  // A file-backed store with a row per attach, as the server's store records what clients do.
  const db = new Database(join(dataDir, "floor.db"));
  db.exec("CREATE TABLE IF NOT EXISTS attaches (at INTEGER NOT NULL, session TEXT NOT NULL)");
  const app = Fastify({
    logger: { level: "info", stream: process.stderr },
    schemaController: { compilersFactory: schemaCompilers },
  });
  await app.register(rateLimit, { max: 10_000, timeWindow: 60_000 });
  // One route with a TypeBox schema, checked by the server's schema compilers on its first request.
  app.post(
    "/api/attaches",
    { schema: { body: Type.Object({ session: Type.String({ maxLength: 256 }) }) } },
    async (request) => {
      const { session } = request.body as { session: string };
      db.run("INSERT INTO attaches VALUES (?, ?)", [Date.now(), session]);
      return { ok: true };
    },
  );
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  app.server.on("upgrade", (req, sock, head) =>
    wss.handleUpgrade(req, sock, head, (ws) => wss.emit("connection", ws, req)),
  );
  wss.on("connection", (ws, req) => {
    const session = relayTmux(ws, req.url, socket, env);
    db.run("INSERT INTO attaches VALUES (?, ?)", [Date.now(), session]);
  });
  const close = () => {
    wss.close();
    void app.close().then(() => {
      db.close();
      process.exit(0);
    });
  };
  process.once("SIGTERM", close);
  process.once("SIGINT", close);
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ port, pid: process.pid })}\n`);
}

const [socket, dataDir] = process.argv.slice(2);
if (!socket || !dataDir) {
  process.stderr.write("usage: node <outdir>/server.js <tmux socket> <data dir>\n");
  process.exit(2);
}
serve(socket, dataDir).catch((error: unknown) => {
  process.stderr.write(`stack floor: ${(error as Error).stack ?? error}\n`);
  process.exit(1);
});
