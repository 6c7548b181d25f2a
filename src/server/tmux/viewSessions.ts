// Terminal views (ADR 0014): a `/ws/tmux` client that asks for one window or pane gets a tmux session of its own,
// grouped with the user's session (`new-session -t`), so selecting that window in it moves no other client. The
// server creates and removes these sessions; their names start with a prefix the API's session names cannot
// have (`~`), and every listing of sessions, windows and panes leaves them out, so users, events, the watchtower
// and recovery never see them and no API call can target one.
import { randomBytes } from "node:crypto";

export const VIEW_SESSION_PREFIX = "~sentinel-view-";

/** Whether a tmux session is one of the servers' terminal views (this server's or another Sentinel's). */
export function isViewSession(name: string): boolean {
  return name.startsWith(VIEW_SESSION_PREFIX);
}

export function newViewSessionName(): string {
  return `${VIEW_SESSION_PREFIX}${randomBytes(6).toString("hex")}`;
}

/** What a view shows: a window (by index; grouped sessions share indexes) or one pane in its window. */
export type ViewTarget = { window: number } | { window: number; pane: string };

/** Rows whose first field is a session name, minus the views'. */
export function withoutViews<T extends readonly string[]>(rows: T[]): T[] {
  return rows.filter((row) => !isViewSession(row[0] ?? ""));
}
