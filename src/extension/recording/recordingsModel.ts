// The recordings the server has (no `vscode` import): loaded with `GET /api/recordings`, kept current by
// `recording.updated` events (`apply`); the owner reloads it when events may have been missed
// (RefreshManager.onDidMissEvents). Which sessions are being recorded drives the Sessions rows and the status bar.
import type { RecordingInfo, RecordingUpdatedPayload } from "../../protocol/recording.js";
import { Emitter } from "../util/emitter.js";

export interface RecordingsChange {
  /** Sessions whose recording state may have changed. */
  sessions: string[];
}

export class RecordingsModel {
  private readonly byId = new Map<string, RecordingInfo>();
  private loadedOnce = false;
  private readonly changeEmitter = new Emitter<RecordingsChange>();
  readonly onDidChange = this.changeEmitter.event;

  get loaded(): boolean {
    return this.loadedOnce;
  }

  /** Newest first. */
  list(): RecordingInfo[] {
    return [...this.byId.values()].sort(
      (a, b) => b.startedAt.localeCompare(a.startedAt) || b.id.localeCompare(a.id),
    );
  }

  get(id: string): RecordingInfo | undefined {
    return this.byId.get(id);
  }

  /** Recordings being written. */
  active(): RecordingInfo[] {
    return this.list().filter((r) => r.status === "recording");
  }

  /** The session's running recording, if any (the newest when there are several). */
  activeFor(session: string): RecordingInfo | undefined {
    return this.active().find((r) => r.session === session);
  }

  /** Replaces everything with a fresh list (a load). */
  replace(recordings: RecordingInfo[]): void {
    const sessions = new Set([...this.byId.values()].map((r) => r.session));
    this.byId.clear();
    for (const r of recordings) {
      this.byId.set(r.id, r);
      sessions.add(r.session);
    }
    this.loadedOnce = true;
    this.changeEmitter.fire({ sessions: [...sessions] });
  }

  /** One recording as a call returned it (start, stop). */
  upsert(recording: RecordingInfo): void {
    const old = this.byId.get(recording.id);
    this.byId.set(recording.id, recording);
    this.changeEmitter.fire({
      sessions: [...new Set([recording.session, old?.session ?? recording.session])],
    });
  }

  remove(id: string): void {
    const old = this.byId.get(id);
    if (!old) return;
    this.byId.delete(id);
    this.changeEmitter.fire({ sessions: [old.session] });
  }

  /** A `recording.updated` event. */
  apply(payload: RecordingUpdatedPayload | undefined): void {
    const recording = payload?.recording;
    if (!recording || typeof recording.id !== "string") return;
    if (payload.action === "delete") this.remove(recording.id);
    else this.upsert(recording);
  }

  clear(): void {
    const sessions = [...new Set([...this.byId.values()].map((r) => r.session))];
    this.byId.clear();
    this.loadedOnce = false;
    this.changeEmitter.fire({ sessions });
  }

  dispose(): void {
    this.changeEmitter.dispose();
  }
}
