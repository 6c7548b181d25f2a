// Keyboard input of a confined terminal client (a token limited to one session, ADR 0012). Its `tmux attach`
// client is read-only and is never written to, so tmux reads no key of it: no prefix, key table, command prompt,
// choose-tree, menu or mouse binding can run for it, and no pane mode entered by someone else (choose-tree's `:`
// prompt runs any tmux command for the client that types it) sees its keys. Instead, the bytes are written into
// the active pane of the session's current window by tmux itself, the way a paste is: `load-buffer` from stdin
// (every byte as it is, NUL included) then `paste-buffer -d -r`, which hands them to the pane's program without
// looking at them. Batches go out one at a time, in order; what arrives meanwhile is sent with the next.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import type { FastifyBaseLogger } from "fastify";
import type { Tmux } from "../tmux/adapter.js";

/**
 * What a terminal emulator sends that is not typing: replies to tmux's own queries (DA1/DA2 `CSI ? … c` /
 * `CSI > … c`, DECRPM `CSI ? … $ y`, XTVERSION and other DCS replies, OSC replies such as colours or the
 * clipboard), focus reports and mouse reports (SGR, X10). The attach client that asked never receives them here,
 * and the pane's program did not ask: they are dropped. (Mouse reports carry the client's coordinates, which are
 * not the pane's; a confined terminal has no mouse.)
 */
const NOT_TYPED =
  /\x1b\[[?>][\d;]*c|\x1b\[\?[\d;]*\$y|\x1bP[^\x1b\x07]*(?:\x1b\\|\x07)|\x1b\]\d+;[^\x1b\x07]*(?:\x1b\\|\x07)|\x1b\[[IO]|\x1b\[<\d+;\d+;\d+[Mm]|\x1b\[M[\s\S]{3}/g;

/** The bytes of one input frame that are typing (see NOT_TYPED). */
export function typedBytes(bytes: Buffer): Buffer {
  if (!bytes.includes(0x1b)) return bytes;
  return Buffer.from(bytes.toString("latin1").replace(NOT_TYPED, ""), "latin1");
}

/** Input not yet handed to tmux, at most; beyond it a flood is dropped (and logged once per batch). */
const MAX_PENDING = 1024 * 1024;
const PASTE_TIMEOUT_MS = 5000;

export interface PaneInputOptions {
  tmux: Tmux;
  session: string;
  log: FastifyBaseLogger;
  /** A read-only token: nothing is typed at all. */
  readOnly: boolean;
  /** Where the keys go: a pane id, or `=name:` (the current window's active pane of that session, the default). */
  target?: string;
}

export class PaneInput {
  /** A paste buffer of this client's own, deleted by each paste (`-d`). */
  private readonly buffer = `sentinel-input-${randomBytes(8).toString("hex")}`;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private sending = false;
  private disposed = false;
  /** A paste failed after its load: the buffer may be left behind. */
  private leftover = false;
  private idle: Promise<void> = Promise.resolve();

  constructor(private readonly options: PaneInputOptions) {}

  /** Types `bytes` into the session's active pane; returns what will be typed (nothing for a read-only token). */
  write(bytes: Buffer): Buffer {
    if (this.disposed || this.options.readOnly) return Buffer.alloc(0);
    const typed = typedBytes(bytes);
    if (!typed.length) return typed;
    if (this.pendingBytes + typed.length > MAX_PENDING) {
      this.options.log.warn(
        { session: this.options.session, bytes: typed.length },
        "terminal input dropped: too much pending",
      );
      return Buffer.alloc(0);
    }
    this.pending.push(typed);
    this.pendingBytes += typed.length;
    if (!this.sending) this.idle = this.drain();
    return typed;
  }

  /** Resolves once everything written so far has been handed to tmux (tests, orderly shutdown). */
  settled(): Promise<void> {
    return this.idle;
  }

  /** Stops typing; a batch already on its way still arrives. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.pending = [];
    this.pendingBytes = 0;
    if (this.leftover) {
      void this.idle.then(() =>
        this.options.tmux.run(["delete-buffer", "-b", this.buffer]).catch(() => undefined),
      );
    }
  }

  private async drain(): Promise<void> {
    this.sending = true;
    try {
      while (this.pending.length && !this.disposed) {
        const batch = Buffer.concat(this.pending.splice(0));
        this.pendingBytes = 0;
        try {
          await this.paste(batch);
        } catch (error) {
          this.leftover = true;
          this.options.log.debug(
            { err: error, session: this.options.session },
            "terminal input not delivered",
          );
        }
      }
    } finally {
      this.sending = false;
    }
  }

  /** One tmux process: the bytes into this client's buffer from stdin, then pasted raw and the buffer deleted. */
  private paste(bytes: Buffer): Promise<void> {
    const { tmux, session, target } = this.options;
    const args = [
      ...tmux.serverArgs(),
      "load-buffer",
      "-b",
      this.buffer,
      "-",
      ";",
      "paste-buffer",
      "-d",
      "-r",
      "-b",
      this.buffer,
      "-t",
      target ?? `=${session}:`,
    ];
    return new Promise((resolve, reject) => {
      const child = spawn(tmux.binary, args, {
        env: tmux.childEnv(),
        stdio: ["pipe", "ignore", "pipe"],
        timeout: PASTE_TIMEOUT_MS,
      });
      let stderr = "";
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
        if (stderr.length < 1024) stderr += chunk;
      });
      child.stdin.on("error", () => undefined);
      child.once("error", reject);
      child.once("close", (code) => {
        if (code === 0) resolve();
        else reject(new Error(`tmux paste failed (${code}): ${stderr.trim()}`));
      });
      child.stdin.end(bytes);
    });
  }
}
