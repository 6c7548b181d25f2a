// X-Request-ID: a client's id is kept when it is sane, otherwise the server makes one. Every HTTP response
// carries it, the WebSocket handshakes (refusals and the 101) included: shared by both edges (http/, ws/).
import { randomUUID } from "node:crypto";

const SANE = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestIdFrom(incoming: string | string[] | undefined): string {
  return typeof incoming === "string" && SANE.test(incoming) ? incoming : randomUUID();
}
