// The ActivityTracker of the server context (spec §3.5, §1.4): seen and presence, validated with the spec's
// exact messages. The projection it recomputes lives in the store; until the watchtower tables land it
// validates and answers "nothing to ack".
import type { PresenceInput, SeenRequest, SeenResult, SeenScope } from "../../protocol/activity.js";
import { presenceError } from "../../protocol/eventMessages.js";
import { isPaneId, isSessionName, Messages } from "../../protocol/validate.js";
import type { ActivityTracker } from "../context.js";
import { badRequest } from "../http/errors.js";

export const SeenMessages = {
  scope: "scope must be pane, window, or session",
  windowIndex: "windowIndex must be >= 0",
  scopeRequired: "scope is required",
} as const;

/** The first validation failure of a seen request (§3.5), else its normalised scope. */
export function validateSeen(request: SeenRequest): { scope: SeenScope } | { error: string } {
  if (!isSessionName(request.session)) return { error: Messages.invalidSessionName };
  const scope = request.scope.trim().toLowerCase();
  if (scope !== "pane" && scope !== "window" && scope !== "session") return { error: SeenMessages.scope };
  if (scope === "pane" && !isPaneId(request.paneId.trim())) return { error: Messages.paneId };
  if (scope === "window" && request.windowIndex < 0) return { error: SeenMessages.windowIndex };
  return { scope };
}

export class ActivityService implements ActivityTracker {
  markSeen(request: SeenRequest): SeenResult {
    const checked = validateSeen(request);
    const scope = request.scope.trim().toLowerCase();
    if ("error" in checked)
      return { session: request.session, scope, acked: false, globalRev: 0, error: checked.error };
    return { session: request.session, scope: checked.scope, acked: false, globalRev: 0 };
  }

  upsertPresence(presence: PresenceInput): void {
    const error = presenceError(presence);
    if (error !== undefined) throw badRequest(error);
  }

  close(): void {}
}
