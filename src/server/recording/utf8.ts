// UTF-8 across chunk boundaries. A PTY read ends wherever the kernel's buffer did, often inside a multi-byte
// character: the incomplete tail (at most 3 bytes) is carried into the next chunk, so every character stays
// whole. Invalid bytes become U+FFFD (as the WHATWG decoder does); valid text passes through unchanged.

/**
 * Length of the longest prefix of `bytes` that does not end inside a multi-byte sequence: `bytes.length`
 * unless the last 1–3 bytes start a character whose remaining bytes have not arrived yet.
 */
export function utf8CompleteLength(bytes: Uint8Array): number {
  const n = bytes.length;
  for (let i = n - 1; i >= 0 && i >= n - 3; i--) {
    const b = bytes[i]!;
    if (b < 0x80) return n;
    if (b >= 0xc0) {
      const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
      return i + need > n ? i : n;
    }
    // A continuation byte: its lead byte is further back.
  }
  return n;
}

/** Streaming decoder: `write` returns the text of every complete character so far. */
export class Utf8StreamDecoder {
  private carry: Buffer | undefined;

  /** Bytes held back, waiting for the rest of their character. */
  get pendingBytes(): number {
    return this.carry?.length ?? 0;
  }

  write(chunk: Uint8Array): string {
    const bytes = this.take(chunk);
    return bytes.length ? bytes.toString("utf8") : "";
  }

  /** The held-back bytes of an incomplete last character, as U+FFFD; the decoder is empty after. */
  end(): string {
    const rest = this.carry;
    this.carry = undefined;
    return rest ? rest.toString("utf8") : "";
  }

  private take(chunk: Uint8Array): Buffer {
    const input = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    const bytes = this.carry ? Buffer.concat([this.carry, input]) : input;
    this.carry = undefined;
    const complete = utf8CompleteLength(bytes);
    if (complete < bytes.length) this.carry = Buffer.from(bytes.subarray(complete));
    return bytes.subarray(0, complete);
  }
}

/**
 * Cuts a byte stream into chunks that each hold whole characters, without decoding: the bytes pass through
 * unchanged (the stream endpoint's frames must each be UTF-8 on their own).
 */
export class Utf8Chunker {
  private carry: Buffer | undefined;

  get pendingBytes(): number {
    return this.carry?.length ?? 0;
  }

  /** The complete part of the carried bytes plus `chunk`; may be empty. */
  push(chunk: Buffer): Buffer {
    const bytes = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = undefined;
    const complete = utf8CompleteLength(bytes);
    if (complete === bytes.length) return bytes;
    this.carry = Buffer.from(bytes.subarray(complete));
    return bytes.subarray(0, complete);
  }

  /** Whatever is carried (an incomplete character at the very end of the stream). */
  end(): Buffer {
    const rest = this.carry ?? Buffer.alloc(0);
    this.carry = undefined;
    return rest;
  }
}
