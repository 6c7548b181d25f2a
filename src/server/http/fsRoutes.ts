import type { AppContext } from "../context.js";
import type { ApiInstance } from "./types.js";

export function registerFsRoutes(_api: ApiInstance, _ctx: AppContext): void {}
