// Every recording of this server: starts them (headless through the API, or for one /ws/tmux client), feeds
// input capture, writes markers, stops them (on request, at a limit, when the session or client ends, at
// shutdown), and publishes `recording.updated`. One place ends a recording: `end()`. A headless recording is
// fed by its own read-only tmux client (./headless.ts).
import { randomUUID } from "node:crypto";
import type { FastifyBaseLogger } from "fastify";
import { ErrorCode } from "../../protocol/errors.js";
import { rfc3339Seconds } from "../../protocol/events.js";
import {
  RECORDING_UPDATED_EVENT,
  RecordingErrorCode,
  type RecordingInfo,
  RecordingMessages,
  type RecordingSource,
  type RecordingStopReason,
  type RecordingUpdatedPayload,
} from "../../protocol/recording.js";
import type { RecordingConfig } from "../config.js";
import { DomainError } from "../errors.js";
import type { EventHub } from "../events/hub.js";
import { PtyStartError } from "../pty/terminalPipe.js";
import type { TerminalTap } from "../pty/terminalTap.js";
import type { Tmux } from "../tmux/adapter.js";
import { TmuxError } from "../tmux/errors.js";
import { castHeader } from "./cast.js";
import { HeadlessClient, windowSize } from "./headless.js";
import { Recorder } from "./recorder.js";
import { castEnv, completeLength, type RecordingStore } from "./store.js";

export interface RecordingManagerDeps {
  store: RecordingStore;
  tmux: Tmux;
  events: EventHub;
  log: FastifyBaseLogger;
  config: RecordingConfig;
  /** How often a headless recording checks the active window's size. */
  followIntervalMs?: number;
}

export interface HeadlessRequest {
  session: string;
  /** Both or neither: a fixed size; without, the recording follows the active window. */
  cols?: number;
  rows?: number;
  captureInput?: boolean;
  title?: string;
  maxBytes?: number;
  maxDurationSeconds?: number;
}

export interface ClientRequest {
  session: string;
  cols: number;
  rows: number;
  captureInput: boolean;
}

interface Active {
  info: RecordingInfo;
  recorder: Recorder;
  headless?: HeadlessClient;
  exitStatus?: number;
  stopping?: Promise<RecordingInfo>;
}

/** Smallest cast a request may ask for: the header and a few markers must fit. */
const MIN_MAX_BYTES = 4096;

export class RecordingManager {
  private readonly active = new Map<string, Active>();
  private closing: Promise<void> | undefined;

  constructor(private readonly deps: RecordingManagerDeps) {}

  get activeCount(): number {
    return this.active.size;
  }

  /** Newest first, with live figures for the active ones. */
  list(): RecordingInfo[] {
    return this.deps.store.all().map((stored) => {
      const active = this.active.get(stored.id);
      return active ? this.snapshot(active) : stored;
    });
  }

  get(id: string): RecordingInfo | undefined {
    const active = this.active.get(id);
    return active ? this.snapshot(active) : this.deps.store.get(id);
  }

  /** Throws UNAVAILABLE (shutting down) or RECORDING_LIMIT_REACHED when no recording may start now. */
  assertCanStart(): void {
    if (this.closing) throw new DomainError(ErrorCode.Unavailable, "server shutting down");
    if (this.active.size >= this.deps.config.maxActive) {
      throw new DomainError(RecordingErrorCode.LimitReached, RecordingMessages.tooMany);
    }
  }

  /** Starts a headless recording of a session; 404 when the session does not exist. */
  async startHeadless(request: HeadlessRequest): Promise<RecordingInfo> {
    const { tmux, log } = this.deps;
    const { session } = request;
    this.assertCanStart();
    if (!(await tmux.hasSession(session))) {
      throw new TmuxError("SESSION_NOT_FOUND", "session not found");
    }
    const fixed = request.cols !== undefined && request.rows !== undefined;
    const size = fixed ? { cols: request.cols!, rows: request.rows! } : await windowSize(tmux, session);
    const active = this.begin({
      session,
      source: "api",
      ...size,
      followsWindow: !fixed,
      captureInput: request.captureInput ?? false,
      title: request.title ?? "",
      ...(request.maxBytes !== undefined ? { maxBytes: request.maxBytes } : {}),
      ...(request.maxDurationSeconds !== undefined ? { maxDurationSeconds: request.maxDurationSeconds } : {}),
    });
    const { id } = active.info;
    const headless = new HeadlessClient({
      tmux,
      log,
      session,
      ...size,
      recorder: active.recorder,
      onExit: (exitCode) => {
        active.exitStatus = exitCode;
        void this.end(id, "session-ended");
      },
    });
    active.headless = headless;
    try {
      await headless.start();
    } catch (error) {
      log.error(
        { err: error instanceof PtyStartError ? error.cause : error, session },
        "recorder attach failed",
      );
      await this.end(id, "error", "unable to start the recorder's terminal");
      throw new DomainError(RecordingErrorCode.Failed, "unable to start the recorder's terminal");
    }
    if (!fixed && this.active.has(id)) headless.followWindow(this.deps.followIntervalMs ?? 500);
    log.info({ recording: id, session, ...size, followsWindow: !fixed }, "recording started");
    return this.snapshot(active);
  }

  /** Starts the recording of one /ws/tmux client (`?record=1`); the attachment feeds it through the tap. */
  startClient(request: ClientRequest): TerminalTap {
    const active = this.begin({
      session: request.session,
      source: "client",
      cols: request.cols,
      rows: request.rows,
      followsWindow: false,
      captureInput: request.captureInput,
      title: "",
    });
    const { id } = active.info;
    const { recorder } = active;
    this.deps.log.info({ recording: id, session: request.session }, "client recording started");
    return {
      id,
      output: (frame) => recorder.output(frame),
      input: (bytes) => recorder.input(bytes),
      resize: (cols, rows) => recorder.resize(cols, rows),
      backlog: () => recorder.backlogBytes,
      end: (exitCode) => {
        if (exitCode !== undefined) active.exitStatus = exitCode;
        void this.end(id, exitCode !== undefined ? "session-ended" : "client-closed");
      },
    };
  }

  /** Keyboard bytes a Sentinel terminal client sent to `session`: recorded by its API recordings that capture input. */
  input(session: string, bytes: Buffer): void {
    for (const active of this.active.values()) {
      if (active.info.source === "api" && active.info.captureInput && active.info.session === session) {
        active.recorder.input(bytes);
      }
    }
  }

  /** A user mark; 404 for an unknown recording, 409 when it has ended. */
  marker(id: string, label: string): RecordingInfo {
    const active = this.activeOr409(id);
    active.recorder.marker(label);
    return this.snapshot(active);
  }

  async stop(id: string): Promise<RecordingInfo> {
    this.activeOr409(id);
    return this.end(id, "requested");
  }

  /** Stops it if it is running, then removes the cast and its index entry. */
  async remove(id: string): Promise<void> {
    if (!this.get(id)) throw notFound();
    const last = this.active.has(id) ? await this.end(id, "deleted") : this.deps.store.get(id);
    this.deps.store.remove(id);
    if (last) this.publish("delete", last);
    this.deps.log.info({ recording: id }, "recording deleted");
  }

  /**
   * The cast's path and how many bytes of it are complete lines: everything appended so far is flushed
   * first, so a running recording gives a valid cast of what it has so far.
   */
  async castFile(id: string): Promise<{ path: string; length: number }> {
    const active = this.active.get(id);
    if (!active && !this.deps.store.get(id)) throw notFound();
    if (active) await active.recorder.flush();
    const path = this.deps.store.castPath(id);
    try {
      return { path, length: completeLength(path) };
    } catch {
      throw notFound();
    }
  }

  /** Stops every recording (marker `stop: server-shutdown`) and waits until their files are closed. */
  close(): Promise<void> {
    this.closing ??= Promise.all([...this.active.keys()].map((id) => this.end(id, "server-shutdown"))).then(
      () => undefined,
    );
    return this.closing;
  }

  private begin(params: {
    session: string;
    source: RecordingSource;
    cols: number;
    rows: number;
    followsWindow: boolean;
    captureInput: boolean;
    title: string;
    maxBytes?: number;
    maxDurationSeconds?: number;
  }): Active {
    this.assertCanStart();
    const { store, config } = this.deps;
    const id = randomUUID();
    const startedMs = Date.now();
    const info: RecordingInfo = {
      id,
      session: params.session,
      source: params.source,
      status: "recording",
      title: params.title,
      cols: params.cols,
      rows: params.rows,
      followsWindow: params.followsWindow,
      captureInput: params.captureInput,
      startedAt: rfc3339Seconds(new Date(startedMs)),
      endedAt: "",
      durationMs: 0,
      bytes: 0,
      events: 0,
    };
    const maxBytes = Math.max(MIN_MAX_BYTES, Math.min(params.maxBytes ?? config.maxBytes, config.maxBytes));
    const maxSeconds = Math.min(
      params.maxDurationSeconds ?? config.maxDurationSeconds,
      config.maxDurationSeconds,
    );
    // The index entry first: from here on, a crash leaves a recording that the next start repairs.
    store.put(info);
    let recorder: Recorder;
    try {
      recorder = Recorder.create({
        path: store.castPath(id),
        header: castHeader(params.cols, params.rows, startedMs, castEnv()),
        limits: { maxBytes, maxDurationMs: maxSeconds * 1000 },
        captureInput: params.captureInput,
        onLimit: (kind) => void this.end(id, kind === "size" ? "size-limit" : "duration-limit"),
        onError: (error) => void this.end(id, "error", error.message),
      });
    } catch (error) {
      store.remove(id);
      this.deps.log.error({ err: error, recording: id }, "unable to create the cast file");
      throw new DomainError(RecordingErrorCode.Failed, "unable to create the cast file");
    }
    recorder.marker("start");
    const active: Active = { info, recorder };
    this.active.set(id, active);
    this.publish("start", this.snapshot(active));
    return active;
  }

  /** Ends a running recording once, whoever asks; resolves with its final state. */
  private end(id: string, reason: RecordingStopReason, error?: string): Promise<RecordingInfo> {
    const active = this.active.get(id);
    if (!active) {
      const stored = this.deps.store.get(id);
      return stored ? Promise.resolve(stored) : Promise.reject(notFound());
    }
    active.stopping ??= (async () => {
      const { headless, recorder } = active;
      headless?.dispose();
      const markers: string[] = [];
      if (active.exitStatus !== undefined) markers.push(`exit: ${active.exitStatus}`);
      markers.push(`stop: ${reason}`);
      await recorder.close(markers);
      const failure = error ?? recorder.error?.message;
      const info: RecordingInfo = {
        ...this.snapshot(active),
        status: failure ? "failed" : "stopped",
        endedAt: rfc3339Seconds(),
        stopReason: reason,
        ...(active.exitStatus !== undefined ? { exitStatus: active.exitStatus } : {}),
        ...(failure ? { error: failure } : {}),
      };
      this.active.delete(id);
      try {
        this.deps.store.put(info);
      } catch (saveError) {
        this.deps.log.error({ err: saveError, recording: id }, "unable to save the recordings index");
      }
      this.deps.log.info({ recording: id, reason, bytes: info.bytes }, "recording stopped");
      this.publish(reason === "size-limit" || reason === "duration-limit" ? "limit" : "stop", info);
      return info;
    })();
    return active.stopping;
  }

  private activeOr409(id: string): Active {
    const active = this.active.get(id);
    if (active && !active.stopping && active.recorder.accepting) return active;
    if (!this.deps.store.get(id)) throw notFound();
    throw new DomainError(RecordingErrorCode.NotActive, RecordingMessages.notActive);
  }

  private snapshot(active: Active): RecordingInfo {
    const { recorder } = active;
    return {
      ...active.info,
      durationMs: recorder.durationMs,
      bytes: recorder.bytes,
      events: recorder.events,
    };
  }

  private publish(action: RecordingUpdatedPayload["action"], recording: RecordingInfo): void {
    this.deps.events.publish(RECORDING_UPDATED_EVENT, { action, recording });
  }
}

function notFound(): DomainError {
  return new DomainError(RecordingErrorCode.NotFound, RecordingMessages.notFound);
}
