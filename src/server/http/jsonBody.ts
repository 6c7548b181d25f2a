// Strict JSON bodies (spec §0.3): any content type, 1 MiB limit, empty or malformed bodies and trailing data
// refused with 400 INVALID_REQUEST. Unknown fields are refused by the route schemas.
import type { FastifyInstance } from "fastify";
import { Messages } from "../../protocol/validate.js";
import { ApiError } from "./errors.js";

export const BODY_LIMIT = 1 << 20;

export function parseStrictJson(text: string): unknown {
  if (!text.trim()) throw new ApiError(400, "INVALID_REQUEST", Messages.invalidJson);
  try {
    return JSON.parse(text);
  } catch (error) {
    // A valid first value followed by more data is Go's "multiple json values".
    const at = /position (\d+)/.exec((error as Error).message);
    if (at && /non-whitespace character after JSON/.test((error as Error).message)) {
      try {
        JSON.parse(text.slice(0, Number(at[1])));
        throw new ApiError(400, "INVALID_REQUEST", Messages.multipleJson);
      } catch (inner) {
        if (inner instanceof ApiError) throw inner;
      }
    }
    throw new ApiError(400, "INVALID_REQUEST", Messages.invalidJson);
  }
}

export function registerJsonBodyParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string", bodyLimit: BODY_LIMIT }, (_req, body, done) => {
    try {
      done(null, parseStrictJson(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}
