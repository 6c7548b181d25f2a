// The RFC 6455 frame a server sends for one text message: FIN, opcode text, unmasked, then the UTF-8 payload.
// Server frames are never masked, so the same bytes go to every subscriber: the hub builds each event's frame
// once and the /ws/events sockets write it as is (ADR 0003), instead of ws framing it again per subscriber.

/** One complete text frame carrying `text`. Its own allocation (not a pooled slice), since the ring keeps it. */
export function textFrame(text: string): Buffer {
  const length = Buffer.byteLength(text, "utf8");
  const header = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafeSlow(header + length);
  frame[0] = 0x81;
  if (length < 126) {
    frame[1] = length;
  } else if (length < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  frame.write(text, header, "utf8");
  return frame;
}

/** The payload of a frame made by `textFrame` (a view, not a copy). */
export function framePayload(frame: Buffer): Buffer {
  const marker = frame[1]! & 0x7f;
  return frame.subarray(marker < 126 ? 2 : marker === 126 ? 4 : 10);
}
