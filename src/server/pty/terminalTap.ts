// What a recording of one terminal client takes from its attachment: implemented by recording/ (a Recorder fed
// as the client is), fed by ws/ (the /ws/tmux attachment), so neither imports the other.

export interface TerminalTap {
  readonly id: string;
  /** A frame as the client was sent it. */
  output(frame: Buffer): void;
  input(bytes: Buffer): void;
  resize(cols: number, rows: number): void;
  /** Bytes the tap has not written yet: counted with the socket's for backpressure. */
  backlog(): number;
  /** The attachment ended; `exitCode` is set when the tmux client exited by itself. */
  end(exitCode: number | undefined): void;
}
