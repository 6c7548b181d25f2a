// The close code a server answers a client's close frame with. `ws` echoes the code it received, and a close
// frame without one (a browser's `socket.close()`) is received as 1005 "no status", which ws answers with an
// empty close frame: the client then reads 1005 too, as if the server had said nothing. 1005 is reserved for
// "no code was present" and is never sent; the Go server answered 1000, and so does this one.
import type { WebSocket } from "ws";

/** Makes every close of `ws` without a code (ws's own echo of a code-less close frame included) a 1000. */
export function answerCodelessClose(ws: WebSocket): void {
  const close = ws.close.bind(ws);
  ws.close = (code?: number, reason?: string | Buffer) => close(code ?? 1000, reason);
}
