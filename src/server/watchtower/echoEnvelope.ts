// While this server's own terminals type, whether a look saw tmux read more than their echo usually makes it read
// (`scan` mode, ./engine.ts `look`). tmux's byte counter cannot say which pane a read came from, so the watchtower
// takes up to the echo plus OWN_STREAM_SLACK bytes as the echo and collects for it only when the typing pauses
// (at the latest 10 s into it): a short line printed elsewhere meanwhile waited that long (ADR 0021).
//
// Per look, `residual` is what tmux read minus what our terminals typed and were drawn since the last look. Over
// a stretch of typing it keeps to a few values that depend on what runs in the typed pane, not on the keys.
// Measured with keys 150 ms apart and looks 600 ms apart (ADR 0027): 0 or ~24 bytes at a bash prompt, ~48 when
// one look holds two of automatic-rename's reads of the foreground process's /proc/<pid>/cmdline (at most one
// every 500 ms); 0 to 9 for `cat`; 0 to 85 in vim, which writes more than tmux draws. A line printed in another
// pane adds its bytes and that pane's own cmdline read: 35 to 140 in the same runs.
//
// So, with E the largest residual of the last ENVELOPE_LOOKS that were learned: up to E + ENVELOPE_MARGIN is the
// echo, and learned; up to 2E + ENVELOPE_MARGIN is the echo with a second cmdline read, not learned (E stays the
// one-read level); above that a residual stands out: likely output elsewhere, and not learned, so the next line
// elsewhere stands out as well. An echo that grows for good (a program started in the typed pane without a pause
// in the typing) then stands out at every look until the typing pauses; the watchtower bounds what that costs by
// asking for at most one collect per SUSPECT_MIN_INTERVAL_MS for it.

/** Looks remembered: about 10 s of typing on the slow beat. */
export const ENVELOPE_LOOKS = 16;
/** Looks needed before anything can stand out: until then, the echo is taken as it was before (OWN_STREAM_SLACK). */
export const ENVELOPE_MIN_LOOKS = 4;
/** Bytes of leeway over the echo's level. */
export const ENVELOPE_MARGIN = 8;

export class EchoEnvelope {
  private readonly residuals: number[] = [];

  /** A look that saw tmux move while our terminals type: whether `residual` stands out. */
  standsOut(residual: number): boolean {
    if (this.residuals.length >= ENVELOPE_MIN_LOOKS) {
      const level = Math.max(...this.residuals);
      if (residual > 2 * Math.max(level, 0) + ENVELOPE_MARGIN) return true;
      if (residual > level + ENVELOPE_MARGIN) return false;
    }
    this.residuals.push(residual);
    if (this.residuals.length > ENVELOPE_LOOKS) this.residuals.shift();
    return false;
  }

  /** The typing stopped: the next stretch learns afresh (another program may run in the typed pane by then). */
  reset(): void {
    this.residuals.length = 0;
  }
}
