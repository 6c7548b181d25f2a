// Where an event of `/ws/events` stands in the stream (spec: `eventId` grows by one per event of a server): the
// reconciler's test for a gap, from which RefreshManager.onDidMissEvents tells every view model. No `vscode` import.

/**
 * - `untracked`: the event carries no id (or 0): it says nothing about the stream;
 * - `first`: nothing was seen before (or the position was forgotten on a new connection);
 * - `next`: the id right after the last one;
 * - `gap`: ids were skipped: events were missed;
 * - `behind`: the same or an older id: the ids started over (another server process) or were replayed.
 */
export type EventIdStep = "untracked" | "first" | "next" | "gap" | "behind";

export function eventIdStep(lastEventId: number, eventId: number | undefined): EventIdStep {
  if (typeof eventId !== "number" || !(eventId > 0)) return "untracked";
  if (!(lastEventId > 0)) return "first";
  if (eventId === lastEventId + 1) return "next";
  return eventId > lastEventId ? "gap" : "behind";
}
