// `GET /api/fs/dirs` (spec §1.1): directory completion. Bad query values never fail the request.
import type { DirsResponse } from "../../protocol/api.js";
import { Routes } from "../../protocol/routes.js";
import type { AppContext } from "../context.js";
import { listDirs, parseDirsLimit } from "../fs/dirs.js";
import { type ApiInstance, data } from "./types.js";

/** The first value of a query parameter, as Go's `URL.Query().Get` reads it. */
function first(value: unknown): string | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return typeof v === "string" ? v : undefined;
}

export function registerFsRoutes(api: ApiInstance, _ctx: AppContext): void {
  api.get(Routes.dirs.path, async (request) => {
    const query = (request.query ?? {}) as Record<string, unknown>;
    const dirs = await listDirs(
      (first(query.prefix) ?? "").trim(),
      parseDirsLimit(first(query.limit)),
      process.env.HOME ?? "",
    );
    const body: DirsResponse = { dirs };
    return data(body);
  });
}
