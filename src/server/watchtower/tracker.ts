// The ActivityTracker of the server context (spec §3.5, §4.4, §1.4): seen with its transactional recompute and
// broadcasts, and presence with its 30 s TTL. Shared by the HTTP routes and /ws/events; never throws on seen.
import type { PresenceInput, SeenRequest, SeenResult, SeenScope } from "../../protocol/activity.js";
import { presenceError, SeenErrors } from "../../protocol/eventMessages.js";
import { isPaneId, isSessionName, Messages } from "../../protocol/validate.js";
import type { ActivityTracker } from "../context.js";
import { invalidRequest } from "../errors.js";
import type { EventHub } from "../events/hub.js";
import type { TmuxRepos } from "../store/repositories.js";
import { patchesFor } from "./patches.js";
import { isoNow, toRfc3339 } from "./time.js";

/** The spec's presence TTL (§1.4); the server takes it from its configuration. */
export const PRESENCE_TTL_MS = 30_000;

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
  if (scope === "window" && !(Number.isSafeInteger(request.windowIndex) && request.windowIndex >= 0))
    return { error: SeenMessages.windowIndex };
  return { scope };
}

export class ActivityService implements ActivityTracker {
  constructor(
    private readonly repos: TmuxRepos,
    private readonly events: EventHub,
    private readonly presenceTtlMs = PRESENCE_TTL_MS,
  ) {}

  markSeen(request: SeenRequest): SeenResult {
    const session = request.session;
    const checked = validateSeen(request);
    if ("error" in checked) {
      return {
        session,
        scope: request.scope.trim().toLowerCase(),
        acked: false,
        globalRev: 0,
        error: checked.error,
      };
    }
    const { scope } = checked;
    const { store, projection, journal } = this.repos;
    let result: SeenResult;
    try {
      const now = isoNow();
      const changes = store.transaction(() => {
        const n = projection.markSeen(session, scope, request.windowIndex, request.paneId.trim(), now);
        if (n > 0) projection.recomputeUnread(session, now);
        return n;
      });
      const { sessionPatches, inspectorPatches } = patchesFor(projection, [session]);
      result = { session, scope, acked: changes > 0, globalRev: journal.globalRev() };
      if (sessionPatches.length) result.sessionPatches = sessionPatches;
      if (inspectorPatches.length) result.inspectorPatches = inspectorPatches;
    } catch {
      return { session, scope, acked: false, globalRev: 0, error: SeenErrors.failed };
    }
    if (result.acked) {
      this.events.publish("tmux.inspector.updated", { session, action: "seen", scope });
      this.events.publish("tmux.sessions.updated", {
        session,
        action: "seen",
        scope,
        globalRev: result.globalRev,
        ...(result.sessionPatches ? { sessionPatches: result.sessionPatches } : {}),
        ...(result.inspectorPatches ? { inspectorPatches: result.inspectorPatches } : {}),
      });
    }
    return result;
  }

  /** Validates (the messages of `PUT /api/tmux/presence`) and stores the presence until now + the TTL (30 s). */
  upsertPresence(presence: PresenceInput): { expiresAt: string } {
    const error = presenceError(presence);
    if (error !== undefined) throw invalidRequest(error);
    const now = new Date();
    const expires = new Date(now.getTime() + this.presenceTtlMs);
    this.repos.presence.upsert(
      {
        terminalId: presence.terminalId.trim(),
        session: presence.session,
        windowIndex: presence.windowIndex,
        paneId: presence.paneId,
        visible: presence.visible,
        focused: presence.focused,
        expiresAt: expires.toISOString(),
      },
      isoNow(now),
    );
    return { expiresAt: toRfc3339(expires.toISOString()) };
  }
}
