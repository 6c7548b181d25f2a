// TypeBox schemas of src/protocol/recovery.ts's request bodies and messages: what the server validates with.
// Only the server imports this module (the extension imports the runtime-free src/protocol/recovery.ts).
import { type Static, Type } from "typebox";

// Requests. Schemas check shape only; handlers check values with the spec's messages.
/** `POST /api/recovery/snapshots/{snapshot}/restore`: the body is optional (empty or whitespace is `{}`). */
export const RestoreBody = Type.Object(
  {
    mode: Type.Optional(Type.String()),
    conflictPolicy: Type.Optional(Type.String()),
    targetSession: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type RestoreBody = Static<typeof RestoreBody>;

export const SnapshotParams = Type.Object({ snapshot: Type.String() });

export const JobParams = Type.Object({ job: Type.String() });

export const RecoverySessionParams = Type.Object({ session: Type.String() });
