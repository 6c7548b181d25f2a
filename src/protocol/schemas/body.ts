// The request-body schema every route uses: an object without unknown fields. Schemas only check shape (unknown
// fields, wrong types); the server's handlers check values so that each failure gets the spec's own message.
import { Type } from "typebox";

export const body = <T extends Parameters<typeof Type.Object>[0]>(properties: T) =>
  Type.Object(properties, { additionalProperties: false });
