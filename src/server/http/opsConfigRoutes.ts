// Ops config and storage routes (spec §1.9). The config file is shown with the token masked and written only
// after validation (src/server/ops/configFile.ts), atomically, mode 0600 (src/server/settings/edit.ts); storage
// is src/server/ops/storage.ts.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { Type } from "typebox";
import { rfc3339Seconds } from "../../protocol/events.js";
import {
  type ConfigPatchResponse,
  type ConfigResponse,
  OpsErrorCode,
  OpsMessages,
  type StorageFlushResponse,
  type StorageStatsResponse,
} from "../../protocol/ops.js";
import { ConfigPatchBody } from "../../protocol/schemas/ops.js";
import type { AppContext } from "../context.js";
import { DomainError, invalidRequest } from "../errors.js";
import { maskToken, unmaskToken, validateConfig } from "../ops/configFile.js";
import { isStorageResource } from "../ops/storage.js";
import { writeConfigFile } from "../settings/edit.js";
import { ConfigError } from "../settings/kinds.js";
import { storeCall } from "./opsRoutes.js";
import { type ApiInstance, data } from "./types.js";

/** `POST /api/ops/storage/flush`: unknown fields are allowed (the seed used a plain decoder). */
const FlushBody = Type.Object({ resource: Type.Optional(Type.String()) });

export function registerOpsConfigRoutes(
  api: ApiInstance,
  ctx: Pick<AppContext, "config" | "ops" | "opsTimeline">,
): void {
  const path = ctx.config.configPath;
  const read = (): string => {
    if (!path) throw new DomainError(OpsErrorCode.ConfigUnavailable, "config path is not set");
    try {
      return readFileSync(path, "utf8");
    } catch (error) {
      throw new DomainError(OpsErrorCode.ConfigReadFailed, `config read failed: ${(error as Error).message}`);
    }
  };

  api.get("/api/ops/config", async () => {
    const body: ConfigResponse = { path, content: maskToken(read()) };
    return data(body);
  });

  api.patch("/api/ops/config", { schema: { body: ConfigPatchBody } }, async (request) => {
    const content = request.body.content ?? "";
    if (!content.trim()) throw invalidRequest(OpsMessages.contentRequired);
    let next: string;
    let warnings: string[];
    try {
      next = unmaskToken(content, read());
      ({ warnings } = validateConfig(next));
    } catch (error) {
      if (error instanceof ConfigError) throw invalidRequest(`invalid config: ${error.message}`);
      throw error;
    }
    try {
      writeConfigFile(path, next);
    } catch (error) {
      throw new DomainError(
        OpsErrorCode.ConfigWriteFailed,
        `config write failed: ${(error as Error).message}`,
      );
    }
    ctx.opsTimeline.record({
      source: "config",
      eventType: "config.updated",
      resource: basename(path),
      message: "Config updated (restart required)",
      details: warnings.join("\n"),
      metadata: { path, bytes: Buffer.byteLength(next), warnings: warnings.length },
    });
    request.log.info({ warnings: warnings.length }, "config file updated");
    const body: ConfigPatchResponse & { warnings: string[] } = {
      path,
      message: OpsMessages.configUpdated,
      warnings,
    };
    return data(body);
  });

  api.get("/api/ops/storage/stats", async () => {
    const stats = await storeCall(() => ctx.ops.storage.collect());
    const body: StorageStatsResponse = { ...stats, collectedAt: new Date().toISOString() };
    return data(body);
  });

  api.post("/api/ops/storage/flush", { schema: { body: FlushBody } }, async (request) => {
    const resource = (request.body.resource ?? "").trim().toLowerCase();
    if (!resource) throw invalidRequest(OpsMessages.resourceRequired);
    if (resource !== "all" && !isStorageResource(resource)) throw invalidRequest(OpsMessages.invalidResource);
    const results = await storeCall(() => ctx.ops.storage.flush(resource));
    request.log.info({ resource }, "storage flushed");
    const body: StorageFlushResponse = { results, flushedAt: rfc3339Seconds() };
    return data(body);
  });
}
