import { Type } from "typebox";
import type { DirsResponse } from "../../protocol/api.js";
import type { AppContext } from "../context.js";
import { listDirs, parseDirsLimit } from "../fs/dirs.js";
import { type ApiInstance, data } from "./types.js";

const DirsQuery = Type.Object({ prefix: Type.Optional(Type.String()), limit: Type.Optional(Type.String()) });

export function registerFsRoutes(api: ApiInstance, _ctx: AppContext): void {
  api.get("/api/fs/dirs", { schema: { querystring: DirsQuery } }, async (request) => {
    const dirs = await listDirs(
      (request.query.prefix ?? "").trim(),
      parseDirsLimit(request.query.limit),
      process.env.HOME ?? "",
    );
    const body: DirsResponse = { dirs };
    return data(body);
  });
}
