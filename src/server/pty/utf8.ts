// UTF-8 of terminal output. A PTY read ends wherever the kernel's buffer did, often inside a multi-byte character:
// - as text (a recording's cast events): the WHATWG decoder in streaming mode carries an incomplete character
//   into the next chunk; invalid bytes become U+FFFD;
// - as bytes (the stream endpoint's frames, each valid UTF-8 on its own, passed on without a decode and re-encode):
//   whole characters are cut from the stream and only a frame that is not valid UTF-8 is rewritten.
import { isUtf8 } from "node:buffer";

/** Streaming decoder: `write` returns the text of every complete character so far. */
export class Utf8StreamDecoder {
  // ignoreBOM keeps a U+FEFF at the start: it is part of what the terminal was sent.
  private readonly decoder = new TextDecoder("utf-8", { ignoreBOM: true });

  write(chunk: Uint8Array): string {
    return this.decoder.decode(chunk, { stream: true });
  }

  /** The held-back bytes of an incomplete last character, as U+FFFD; the decoder is empty after. */
  end(): string {
    return this.decoder.decode();
  }
}

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

/**
 * Cuts a byte stream into chunks that each hold whole characters, without decoding: the bytes pass through
 * unchanged.
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

/** Valid UTF-8 as it is; otherwise each invalid sequence replaced by U+FFFD (as a decoder would show it). */
export function wellFormed(bytes: Buffer): Buffer {
  return isUtf8(bytes) ? bytes : Buffer.from(bytes.toString("utf8"), "utf8");
}
