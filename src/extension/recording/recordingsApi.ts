// The `/api/recordings` routes (docs/decisions/0006-recording.md) over the extension's ApiClient, and the cast
// itself as text (`application/x-asciicast`, not the JSON envelope). No `vscode` import.
import type { RecordingInfo, RecordingResponse, RecordingsResponse } from "../../protocol/recording.js";
import type { StartRecordingBody } from "../../protocol/schemas/recording.js";
import type { ApiClient } from "../client/apiClient.js";

const enc = encodeURIComponent;

export async function listRecordings(api: ApiClient): Promise<RecordingInfo[]> {
  const data = await api.request<RecordingsResponse>("GET", "/api/recordings");
  return data?.recordings ?? [];
}

export async function startRecording(
  api: ApiClient,
  session: string,
  options: StartRecordingBody["options"] = {},
): Promise<RecordingInfo> {
  const body: StartRecordingBody = { session, options };
  return (await api.request<RecordingResponse>("POST", "/api/recordings", body)).recording;
}

export async function stopRecording(api: ApiClient, id: string): Promise<RecordingInfo> {
  return (await api.request<RecordingResponse>("POST", `/api/recordings/${enc(id)}/stop`)).recording;
}

export async function addMarker(api: ApiClient, id: string, label: string): Promise<RecordingInfo> {
  return (await api.request<RecordingResponse>("POST", `/api/recordings/${enc(id)}/markers`, { label }))
    .recording;
}

export function deleteRecording(api: ApiClient, id: string): Promise<void> {
  return api.request("DELETE", `/api/recordings/${enc(id)}`);
}

/** The cast as the server has it now (a running recording up to its last complete line). */
export function fetchCast(api: ApiClient, id: string, timeoutMs = 60_000): Promise<string> {
  return api.text(`/api/recordings/${enc(id)}/cast`, "application/x-asciicast", timeoutMs);
}
