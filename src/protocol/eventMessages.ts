// Client → server messages on /ws/events (spec §3.5): parsing with the Go decoder's rules, presence
// validation, and the `tmux.seen.ack` reply. Shared by the server and the extension's events client.
import type { PresenceInput, SeenRequest, SeenResult } from "./activity.js";
import { isPaneId, isSessionName, Messages } from "./validate.js";

export interface PresenceMessage extends PresenceInput {
  type: "presence";
}

export interface SeenMessage {
  type: "seen";
  /** Echoed in the ack; "" when absent. */
  requestId: string;
  session: string;
  /** As sent; the tracker trims and lower-cases it. */
  scope: string;
  /** A missing value decodes as 0, Go's zero value (§3.5). */
  windowIndex: number;
  paneId: string;
}

export type ClientMessage = PresenceMessage | SeenMessage;

/** The direct reply to `seen`: not an envelope (no eventId, timestamp or payload wrapper). */
export interface SeenAckMessage {
  type: "tmux.seen.ack";
  requestId: string;
  session: string;
  scope: string;
  acked: boolean;
  globalRev: number;
  paneId?: string;
  windowIndex?: number;
  sessionPatches?: SeenResult["sessionPatches"];
  inspectorPatches?: SeenResult["inspectorPatches"];
  error?: string;
}

export const SeenErrors = {
  failed: "failed to mark seen",
} as const;

type FieldKind = "string" | "int" | "bool";

const PRESENCE_FIELDS = {
  terminalId: "string",
  session: "string",
  windowIndex: "int",
  paneId: "string",
  visible: "bool",
  focused: "bool",
} as const satisfies Record<string, FieldKind>;

const SEEN_FIELDS = {
  requestId: "string",
  session: "string",
  scope: "string",
  windowIndex: "int",
  paneId: "string",
} as const satisfies Record<string, FieldKind>;

type Decoded<F extends Record<string, FieldKind>> = {
  [K in keyof F]: F[K] extends "string" ? string : F[K] extends "int" ? number : boolean;
};

const ZERO: Record<FieldKind, string | number | boolean> = { string: "", int: 0, bool: false };

/**
 * Go's `json.Unmarshal` into a struct: keys match field names exactly, else case-insensitively; unknown keys
 * are ignored; `null` leaves the zero value; a value of the wrong JSON type fails the whole message (then
 * `undefined`); a non-object fails too, except `null`, which decodes to all zero values.
 */
function decodeStruct<F extends Record<string, FieldKind>>(
  value: unknown,
  fields: F,
): Decoded<F> | undefined {
  const out: Record<string, string | number | boolean> = {};
  const names = Object.keys(fields);
  for (const name of names) out[name] = ZERO[fields[name]!];
  if (value === null) return out as Decoded<F>;
  if (typeof value !== "object" || Array.isArray(value)) return undefined;
  for (const [key, v] of Object.entries(value)) {
    const name = names.includes(key) ? key : names.find((n) => n.toLowerCase() === key.toLowerCase());
    if (name === undefined || v === null) continue;
    const kind = fields[name]!;
    if (kind === "string" && typeof v !== "string") return undefined;
    if (kind === "bool" && typeof v !== "boolean") return undefined;
    if (kind === "int" && !Number.isSafeInteger(v)) return undefined;
    out[name] = v as string | number | boolean;
  }
  return out as Decoded<F>;
}

/**
 * Parses one text frame. `undefined` for anything to ignore silently: invalid JSON, a `type` that is not a
 * string or not known, or a field of the wrong JSON type. `type` is trimmed and matched case-insensitively.
 * Values are kept as sent. Presence is returned unvalidated (see `presenceError`); seen is validated by the
 * tracker, whose result the ack carries.
 */
export function parseClientMessage(text: string): ClientMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const probe = decodeStruct(value, { type: "string" } as const);
  if (!probe) return undefined;
  switch (probe.type.trim().toLowerCase()) {
    case "presence": {
      const p = decodeStruct(value, PRESENCE_FIELDS);
      if (!p) return undefined;
      return {
        type: "presence",
        terminalId: p.terminalId,
        session: p.session,
        windowIndex: p.windowIndex,
        paneId: p.paneId,
        visible: p.visible,
        focused: p.focused,
      };
    }
    case "seen": {
      const s = decodeStruct(value, SEEN_FIELDS);
      if (!s) return undefined;
      return {
        type: "seen",
        requestId: s.requestId,
        session: s.session,
        scope: s.scope,
        windowIndex: s.windowIndex,
        paneId: s.paneId,
      };
    }
    default:
      return undefined;
  }
}

/** The checks of `PUT /api/tmux/presence` (§1.4), in order; the message of the first failure, else undefined. */
export function presenceError(presence: PresenceInput): string | undefined {
  if (!presence.terminalId.trim()) return "terminalId is required";
  if (presence.session !== "" && !isSessionName(presence.session)) return Messages.invalidSessionName;
  if (!Number.isSafeInteger(presence.windowIndex) || presence.windowIndex < -1)
    return "windowIndex must be >= -1";
  if (presence.paneId !== "" && !isPaneId(presence.paneId)) return Messages.paneId;
  return undefined;
}

export function presenceInput(message: PresenceMessage): PresenceInput {
  const { terminalId, session, windowIndex, paneId, visible, focused } = message;
  return { terminalId, session, windowIndex, paneId, visible, focused };
}

export function seenRequest(message: SeenMessage): SeenRequest {
  const { session, scope, windowIndex, paneId } = message;
  return { session, scope, windowIndex, paneId };
}

/** What the ack says when the tracker could not be asked at all. */
export function seenFailure(message: SeenMessage): SeenResult {
  return {
    session: message.session,
    scope: message.scope.trim().toLowerCase(),
    acked: false,
    globalRev: 0,
    error: SeenErrors.failed,
  };
}

/**
 * The `tmux.seen.ack` of §3.5: `paneId` only when non-empty, `windowIndex` only when ≥ 0 (a missing one decoded
 * as 0, so it is there), patches only when the tracker returned some, `error` only on failure.
 */
export function seenAck(message: SeenMessage, result: SeenResult): SeenAckMessage {
  const ack: SeenAckMessage = {
    type: "tmux.seen.ack",
    requestId: message.requestId,
    session: result.session,
    scope: result.scope,
    acked: result.acked,
    globalRev: result.globalRev,
  };
  if (message.paneId !== "") ack.paneId = message.paneId;
  if (message.windowIndex >= 0) ack.windowIndex = message.windowIndex;
  if (result.error) {
    ack.error = result.error;
    return ack;
  }
  if (result.sessionPatches?.length) ack.sessionPatches = result.sessionPatches;
  if (result.inspectorPatches?.length) ack.inspectorPatches = result.inspectorPatches;
  return ack;
}
