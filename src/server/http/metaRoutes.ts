import type { MetaResponse } from "../../protocol/api.js";
import { Routes } from "../../protocol/routes.js";
import type { AppContext } from "../context.js";
import { type ApiInstance, data } from "./types.js";

export function registerMetaRoutes(api: ApiInstance, ctx: AppContext): void {
  api.get(Routes.meta.path, async () => {
    const meta: MetaResponse = {
      tokenRequired: ctx.auth.required,
      defaultCwd: process.env.HOME ?? "",
      version: ctx.version,
      auth: ctx.auth.required ? "token" : "none",
    };
    const storeRecovery = ctx.ops.storeIntegrity.current();
    if (storeRecovery) meta.storeRecovery = storeRecovery;
    return data(meta);
  });
}
