import type { AppContext } from "../context.js";
import type { ApiInstance } from "./types.js";

export function registerWindowRoutes(_api: ApiInstance, _ctx: AppContext): void {}
