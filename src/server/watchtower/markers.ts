// Output markers (spec §4.1 step 4.3): the first error word, else the first warn word, found by plain substring
// in the lower-cased preview ("errors" matches "error").

export const ERROR_MARKERS = [
  "panic",
  "fatal",
  "segmentation fault",
  "traceback",
  "exception",
  "xdebug",
  "permission denied",
  "error",
  "failed",
] as const;

export const WARN_MARKERS = ["warning", "warn", "deprecated", "timeout", "retry", "slow"] as const;

export interface OutputMarker {
  severity: "error" | "warn";
  marker: string;
}

export function findMarker(preview: string): OutputMarker | undefined {
  if (!preview) return undefined;
  const text = preview.toLowerCase();
  for (const marker of ERROR_MARKERS) if (text.includes(marker)) return { severity: "error", marker };
  for (const marker of WARN_MARKERS) if (text.includes(marker)) return { severity: "warn", marker };
  return undefined;
}

const SUMMARY_BYTES = 240;

/** The last line of the preview cut to 240 bytes (never inside a UTF-8 character), or the default summary. */
export function markerSummary(preview: string): string {
  const last = preview.split("\n").at(-1) ?? "";
  if (!last) return "output marker detected";
  return truncateUtf8(last, SUMMARY_BYTES);
}

export function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let out = "";
  let bytes = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > maxBytes) break;
    out += ch;
    bytes += n;
  }
  return out;
}
