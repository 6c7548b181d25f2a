// The `/api/recordings` routes (docs/decisions/0006-recording.md; src/protocol/routes.ts) over the extension's
// ApiClient, and the cast
// itself as text (`application/x-asciicast`, not the JSON envelope). No `vscode` import.
import { RECORDING_CAST_CONTENT_TYPE, type RecordingInfo } from "../../protocol/recording.js";
import { Routes, routePath, type StartRecordingInput } from "../../protocol/routes.js";
import type { ApiClient } from "../client/apiClient.js";

export async function listRecordings(api: ApiClient): Promise<RecordingInfo[]> {
  return (await api.call(Routes.recordings, {}, undefined))?.recordings ?? [];
}

export async function startRecording(
  api: ApiClient,
  session: string,
  options: StartRecordingInput["options"] = {},
): Promise<RecordingInfo> {
  return (await api.call(Routes.startRecording, {}, { session, options })).recording;
}

export async function stopRecording(api: ApiClient, id: string): Promise<RecordingInfo> {
  return (await api.call(Routes.stopRecording, { id }, undefined)).recording;
}

export async function addMarker(api: ApiClient, id: string, label: string): Promise<RecordingInfo> {
  return (await api.call(Routes.addMarker, { id }, { label })).recording;
}

export async function deleteRecording(api: ApiClient, id: string): Promise<void> {
  await api.call(Routes.deleteRecording, { id }, undefined);
}

/** The cast as the server has it now (a running recording up to its last complete line). */
export function fetchCast(api: ApiClient, id: string, timeoutMs = 60_000): Promise<string> {
  return api.text(routePath(Routes.recordingCast, { id }), RECORDING_CAST_CONTENT_TYPE, timeoutMs);
}
