// Frames of `/ws/tmux` (spec §2.3): text control frames; terminal bytes travel as binary frames.

export interface StatusMessage {
  type: "status";
  state: "attached";
  session: string;
  /** Only on `/ws/tmux?record=1`: the id of the recording of this client (`/api/recordings/{id}`). */
  recordingId?: string;
}

export interface ErrorMessage {
  type: "error";
  code: string;
  message: string;
}

/** Resize limits (v0.11 clamps to these; the seed did not). */
export const TERMINAL_LIMITS = { minCols: 20, maxCols: 500, minRows: 5, maxRows: 200 } as const;
export const DEFAULT_TERMINAL_SIZE = { cols: 120, rows: 40 } as const;
