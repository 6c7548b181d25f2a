// TypeBox schemas of src/protocol/api.ts's request bodies and messages: what the server validates with.
// Only the server imports this module (the extension imports the runtime-free src/protocol/api.ts).
import { type Static, Type } from "typebox";
import { body } from "./body.js";

export const CreateSessionBody = body({
  name: Type.Optional(Type.String()),
  cwd: Type.Optional(Type.String()),
});
export type CreateSessionBody = Static<typeof CreateSessionBody>;

export const RenameSessionBody = body({ newName: Type.Optional(Type.String()) });
export type RenameSessionBody = Static<typeof RenameSessionBody>;

export const SetIconBody = body({ icon: Type.Optional(Type.String()) });
export type SetIconBody = Static<typeof SetIconBody>;

export const WindowIndexBody = body({ index: Type.Optional(Type.Integer()) });
export type WindowIndexBody = Static<typeof WindowIndexBody>;

export const RenameWindowBody = body({
  index: Type.Optional(Type.Integer()),
  name: Type.Optional(Type.String()),
});
export type RenameWindowBody = Static<typeof RenameWindowBody>;

export const PaneIdBody = body({ paneId: Type.Optional(Type.String()) });
export type PaneIdBody = Static<typeof PaneIdBody>;

export const RenamePaneBody = body({
  paneId: Type.Optional(Type.String()),
  title: Type.Optional(Type.String()),
});
export type RenamePaneBody = Static<typeof RenamePaneBody>;

export const SplitPaneBody = body({
  paneId: Type.Optional(Type.String()),
  direction: Type.Optional(Type.String()),
});
export type SplitPaneBody = Static<typeof SplitPaneBody>;

export const SessionParams = Type.Object({ session: Type.String() });
export type SessionParams = Static<typeof SessionParams>;
