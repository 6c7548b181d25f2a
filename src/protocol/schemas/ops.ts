// TypeBox schemas of src/protocol/ops.ts's request bodies and messages: what the server validates with.
// Only the server imports this module (the extension imports the runtime-free src/protocol/ops.ts).
import { type Static, Type } from "typebox";
import { body } from "./body.js";

/** `POST /api/ops/services`: `name` and `unit` are required (400 with the spec's messages). */
export const RegisterServiceBody = body({
  name: Type.Optional(Type.String()),
  displayName: Type.Optional(Type.String()),
  manager: Type.Optional(Type.String()),
  unit: Type.Optional(Type.String()),
  scope: Type.Optional(Type.String()),
});
export type RegisterServiceBody = Static<typeof RegisterServiceBody>;

/** `POST /api/ops/services/{service}/action`. */
export const ServiceActionBody = body({ action: Type.Optional(Type.String()) });
export type ServiceActionBody = Static<typeof ServiceActionBody>;

/** `POST /api/ops/services/unit/action`. */
export const UnitActionBody = body({
  unit: Type.Optional(Type.String()),
  scope: Type.Optional(Type.String()),
  manager: Type.Optional(Type.String()),
  action: Type.Optional(Type.String()),
});
export type UnitActionBody = Static<typeof UnitActionBody>;

/** `PATCH /api/ops/config`. A `token = "********"` line (the mask) keeps the stored token. */
export const ConfigPatchBody = body({ content: Type.Optional(Type.String()) });
export type ConfigPatchBody = Static<typeof ConfigPatchBody>;
