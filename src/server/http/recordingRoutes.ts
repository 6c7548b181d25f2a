// Recordings (issue 6): start a headless recording of a session, list, get, the cast itself
// (application/x-asciicast), stop, user markers, delete. The recordings themselves are in src/server/recording.
import { createReadStream } from "node:fs";
import {
  isRecordingId,
  isRecordingLabel,
  RECORDING_CAST_CONTENT_TYPE,
  RecordingErrorCode,
  RecordingMessages,
  type RecordingResponse,
  type RecordingsResponse,
} from "../../protocol/recording.js";
import { Routes } from "../../protocol/routes.js";
import { AddMarkerBody, RecordingParams, StartRecordingBody } from "../../protocol/schemas/recording.js";
import { TERMINAL_LIMITS } from "../../protocol/terminal.js";
import { Messages } from "../../protocol/validate.js";
import type { AppContext } from "../context.js";
import { DomainError, invalidRequest } from "../errors.js";
import type { HeadlessRequest } from "../recording/manager.js";
import { sessionParam } from "./params.js";
import { type ApiInstance, data } from "./types.js";

function idParam(value: string): string {
  if (!isRecordingId(value)) throw invalidRequest(RecordingMessages.invalidId);
  return value;
}

/** A JSON integer beyond what a double holds exactly was a decode error for the Go server. */
function safeInt(value: number | undefined): number | undefined {
  if (value !== undefined && !Number.isSafeInteger(value)) throw invalidRequest(Messages.invalidJson);
  return value;
}

/** Checks the values of a start request (the schema has checked its shape). */
export function headlessRequest(body: StartRecordingBody): HeadlessRequest {
  const session = (body.session ?? "").trim();
  if (!session) throw invalidRequest(RecordingMessages.sessionRequired);
  sessionParam(session);
  const cols = safeInt(body.cols);
  const rows = safeInt(body.rows);
  if ((cols === undefined) !== (rows === undefined)) throw invalidRequest(RecordingMessages.sizePair);
  if (cols !== undefined && (cols < TERMINAL_LIMITS.minCols || cols > TERMINAL_LIMITS.maxCols)) {
    throw invalidRequest(RecordingMessages.cols);
  }
  if (rows !== undefined && (rows < TERMINAL_LIMITS.minRows || rows > TERMINAL_LIMITS.maxRows)) {
    throw invalidRequest(RecordingMessages.rows);
  }
  const options = body.options ?? {};
  const title = (options.title ?? "").trim();
  if (title && !isRecordingLabel(title)) throw invalidRequest(RecordingMessages.title);
  const maxBytes = safeInt(options.maxBytes);
  if (maxBytes !== undefined && maxBytes <= 0) throw invalidRequest(RecordingMessages.maxBytes);
  const maxDurationSeconds = safeInt(options.maxDurationSeconds);
  if (maxDurationSeconds !== undefined && maxDurationSeconds <= 0) {
    throw invalidRequest(RecordingMessages.maxDuration);
  }
  return {
    session,
    ...(cols !== undefined && rows !== undefined ? { cols, rows } : {}),
    captureInput: options.captureInput ?? false,
    title,
    ...(maxBytes !== undefined ? { maxBytes } : {}),
    ...(maxDurationSeconds !== undefined ? { maxDurationSeconds } : {}),
  };
}

export function registerRecordingRoutes(api: ApiInstance, ctx: AppContext): void {
  const { recordings } = ctx;
  // The path parameter is checked before the body is read (spec §0.7 order).
  const checkIdParam = async (request: { params: unknown }) => {
    idParam(String((request.params as { id?: unknown }).id ?? ""));
  };
  const found = (id: string) => {
    const recording = recordings.get(idParam(id));
    if (!recording) throw new DomainError(RecordingErrorCode.NotFound, RecordingMessages.notFound);
    return recording;
  };

  api.post(Routes.startRecording.path, { schema: { body: StartRecordingBody } }, async (request, reply) => {
    const recording = await recordings.startHeadless(headlessRequest(request.body));
    const body: RecordingResponse = { recording };
    return reply.code(201).send(data(body));
  });

  api.get(Routes.recordings.path, async () => {
    const body: RecordingsResponse = { recordings: recordings.list() };
    return data(body);
  });

  api.get(`${Routes.recordings.path}/:id`, { schema: { params: RecordingParams } }, async (request) => {
    const body: RecordingResponse = { recording: found(request.params.id) };
    return data(body);
  });

  api.get(Routes.recordingCast.path, { schema: { params: RecordingParams } }, async (request, reply) => {
    const id = idParam(request.params.id);
    const { path, length } = await recordings.castFile(id);
    reply
      .code(200)
      .type(RECORDING_CAST_CONTENT_TYPE)
      .header("Content-Length", String(length))
      .header("Content-Disposition", `inline; filename="${id}.cast"`)
      .header("Cache-Control", "no-store");
    // A running recording is read up to its last complete line: always a valid cast.
    return reply.send(length ? createReadStream(path, { start: 0, end: length - 1 }) : "");
  });

  api.post(Routes.stopRecording.path, { schema: { params: RecordingParams } }, async (request) => {
    const body: RecordingResponse = { recording: await recordings.stop(idParam(request.params.id)) };
    return data(body);
  });

  api.post(
    Routes.addMarker.path,
    { schema: { params: RecordingParams, body: AddMarkerBody }, preParsing: checkIdParam },
    async (request) => {
      const id = idParam(request.params.id);
      const label = (request.body.label ?? "").trim();
      if (!isRecordingLabel(label)) throw invalidRequest(RecordingMessages.label);
      const body: RecordingResponse = { recording: recordings.marker(id, label) };
      return data(body);
    },
  );

  api.delete(Routes.deleteRecording.path, { schema: { params: RecordingParams } }, async (request, reply) => {
    await recordings.remove(idParam(request.params.id));
    return reply.code(204).send();
  });
}
