// Strict JSON bodies (spec §0.3): any content type, 1 MiB limit, malformed bodies and trailing data refused with
// 400 INVALID_REQUEST. Unknown fields are refused by the route schemas. An empty body is no body, whatever its
// Content-Type: browsers send `Content-Type: application/json` on a DELETE or an empty POST, and a route that
// takes no body must not refuse them. A route that takes one still refuses it: its body schema (or its own
// decoder) finds no object and answers "invalid json body", as the Go server did.
import type { Readable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { Messages } from "../../protocol/validate.js";
import { DomainError, invalidRequest } from "../errors.js";

export const BODY_LIMIT = 1 << 20;

export function parseStrictJson(text: string): unknown {
  if (!text.trim()) throw invalidRequest(Messages.invalidJson);
  try {
    return JSON.parse(text);
  } catch (error) {
    // A valid first value followed by more data is Go's "multiple json values".
    const at = /position (\d+)/.exec((error as Error).message);
    if (at && /non-whitespace character after JSON/.test((error as Error).message)) {
      try {
        JSON.parse(text.slice(0, Number(at[1])));
        throw invalidRequest(Messages.multipleJson);
      } catch (inner) {
        if (inner instanceof DomainError) throw inner;
      }
    }
    throw invalidRequest(Messages.invalidJson);
  }
}

/**
 * An oversized body is still read (and thrown away) up to this many bytes before the 400 goes out: closing a
 * socket that has unread data resets it, and the client, still sending, would often lose the answer. Past
 * this the connection is simply closed.
 */
export const DRAIN_LIMIT = 8 * BODY_LIMIT;

const tooLarge = () => invalidRequest(Messages.invalidJson);

/** The body as UTF-8 text, or INVALID_REQUEST once it is known to exceed BODY_LIMIT (after draining it). */
export function readBody(payload: Readable, contentLength: string | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(contentLength);
    if (Number.isFinite(declared) && declared > DRAIN_LIMIT) return reject(tooLarge());
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const settle = (error: Error | undefined, text?: string) => {
      if (settled) return;
      settled = true;
      payload.removeListener("data", onData);
      if (error) reject(error);
      else resolve(text ?? "");
    };
    const onData = (chunk: Buffer | string) => {
      const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      received += bytes.length;
      if (received > DRAIN_LIMIT) return settle(tooLarge());
      if (received > BODY_LIMIT) chunks.length = 0;
      else chunks.push(bytes);
    };
    payload.on("data", onData);
    payload.once("end", () =>
      received > BODY_LIMIT ? settle(tooLarge()) : settle(undefined, Buffer.concat(chunks).toString("utf8")),
    );
    payload.once("error", (error) => settle(error));
    payload.once("close", () => settle(invalidRequest("request body aborted")));
    payload.resume();
  });
}

export function registerJsonBodyParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", (request, payload, done) => {
    readBody(payload as Readable, request.headers["content-length"]).then(
      (text) => {
        if (!text.trim()) return done(null, undefined);
        let body: unknown;
        try {
          body = parseStrictJson(text);
        } catch (error) {
          return done(error as Error, undefined);
        }
        done(null, body);
      },
      (error: Error) => done(error, undefined),
    );
  });
}
