// TypeBox schemas of src/protocol/terminal.ts's request bodies and messages: what the server validates with.
// Only the server imports this module (the extension imports the runtime-free src/protocol/terminal.ts).
import { type Static, Type } from "typebox";

export const ResizeMessage = Type.Object({
  type: Type.Literal("resize"),
  cols: Type.Number(),
  rows: Type.Number(),
});
export type ResizeMessage = Static<typeof ResizeMessage>;
