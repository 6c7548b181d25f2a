// What the extension knows about tmux: the sessions list and, per session, its windows and panes (the
// "inspector"). Fed by full loads over HTTP and by the patches that events and the activity delta carry (spec
// §3.4: full per-session replacements). Reports what changed so views refresh only that. No `vscode` import.
import type { InspectorPatch, SessionPatch } from "../../protocol/activity.js";
import type { Pane, Session, Window } from "../../protocol/api.js";
import { Emitter } from "../util/emitter.js";

export interface Inspector {
  windows: Window[];
  panes: Pane[];
}

/**
 * `structure`: sessions were added, removed, renamed or reordered (the root changes);
 * `sessions`: sessions whose own data or windows/panes changed.
 */
export interface ModelChange {
  structure: boolean;
  sessions: Set<string>;
}

export interface UnreadTotals {
  panes: number;
  windows: number;
  sessions: number;
}

export interface PaneSnapshot {
  paneId: string;
  index: number;
  title: string;
  active: boolean;
  hasUnread: boolean;
  currentCommand: string;
  currentPath: string;
}

export interface WindowSnapshot {
  index: number;
  name: string;
  active: boolean;
  unreadPanes: number;
  hasUnread: boolean;
  panes: PaneSnapshot[];
}

export interface SessionSnapshot {
  name: string;
  attached: number;
  windows: number;
  panes: number;
  unreadWindows: number;
  unreadPanes: number;
  command: string;
  activityAt: string;
  /** Present once the session's windows and panes are loaded. */
  inspector?: WindowSnapshot[];
}

const byName = (a: Session, b: Session) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function sortInspector(inspector: Inspector): Inspector {
  return {
    windows: [...inspector.windows].sort((a, b) => a.index - b.index),
    panes: [...inspector.panes].sort((a, b) => a.windowIndex - b.windowIndex || a.paneIndex - b.paneIndex),
  };
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export class SessionsModel {
  private readonly sessionMap = new Map<string, Session>();
  private readonly inspectors = new Map<string, Inspector>();
  private readonly changes = new Emitter<ModelChange>();
  private pending: ModelChange | undefined;
  private batchDepth = 0;
  /** True once a sessions list was loaded. */
  loaded = false;

  readonly onDidChange = this.changes.event;

  /** Sessions, sorted by name as the server lists them. */
  sessions(): Session[] {
    return [...this.sessionMap.values()].sort(byName);
  }

  session(name: string): Session | undefined {
    return this.sessionMap.get(name);
  }

  inspector(session: string): Inspector | undefined {
    return this.inspectors.get(session);
  }

  windows(session: string): Window[] {
    return this.inspectors.get(session)?.windows ?? [];
  }

  panes(session: string, windowIndex?: number): Pane[] {
    const panes = this.inspectors.get(session)?.panes ?? [];
    return windowIndex === undefined ? panes : panes.filter((p) => p.windowIndex === windowIndex);
  }

  /** The active pane of the active window, when the inspector is loaded. */
  activePane(session: string): Pane | undefined {
    const inspector = this.inspectors.get(session);
    if (!inspector) return undefined;
    const window = inspector.windows.find((w) => w.active) ?? inspector.windows[0];
    if (!window) return undefined;
    const panes = inspector.panes.filter((p) => p.windowIndex === window.index);
    return panes.find((p) => p.active) ?? panes[0];
  }

  totals(): UnreadTotals {
    let panes = 0;
    let windows = 0;
    let sessions = 0;
    for (const s of this.sessionMap.values()) {
      panes += s.unreadPanes;
      windows += s.unreadWindows;
      if (s.unreadPanes > 0) sessions++;
    }
    return { panes, windows, sessions };
  }

  /** Groups changes made inside `fn` into one notification. */
  batch<T>(fn: () => T): T {
    this.batchDepth++;
    try {
      return fn();
    } finally {
      this.batchDepth--;
      if (this.batchDepth === 0) this.flush();
    }
  }

  /** A full sessions list: replaces the set; inspectors of sessions that are gone are dropped. */
  replaceSessions(list: Session[]): void {
    this.batch(() => {
      const names = new Set(list.map((s) => s.name));
      for (const name of [...this.sessionMap.keys()]) {
        if (!names.has(name)) this.deleteSession(name);
      }
      for (const session of list) {
        const old = this.sessionMap.get(session.name);
        if (!old) {
          this.sessionMap.set(session.name, { ...session });
          this.mark(true);
        } else if (!sameJson(old, session)) {
          this.sessionMap.set(session.name, { ...session });
          this.mark(false, session.name);
        }
      }
      if (!this.loaded) {
        this.loaded = true;
        this.mark(true);
      }
    });
  }

  /** Session patches (§3.4) update the projected fields and keep the rest (createdAt, hash, icon, command). */
  applySessionPatches(patches: readonly SessionPatch[] | undefined): void {
    if (!patches?.length) return;
    this.batch(() => {
      for (const patch of patches) {
        if (!patch || typeof patch.name !== "string") continue;
        const old = this.sessionMap.get(patch.name);
        const next: Session = {
          name: patch.name,
          createdAt: old?.createdAt ?? "",
          command: old?.command ?? "",
          hash: old?.hash ?? "",
          icon: old?.icon ?? "",
          attached: patch.attached,
          windows: patch.windows,
          panes: patch.panes,
          activityAt: patch.activityAt,
          lastContent: patch.lastContent,
          unreadWindows: patch.unreadWindows,
          unreadPanes: patch.unreadPanes,
          rev: patch.rev,
        };
        if (!old) {
          this.sessionMap.set(patch.name, next);
          this.mark(true);
        } else if (!sameJson(old, next)) {
          this.sessionMap.set(patch.name, next);
          this.mark(false, patch.name);
        }
      }
    });
  }

  /** Inspector patches replace a session's windows and panes. A patch for an unknown session is kept too. */
  applyInspectorPatches(patches: readonly InspectorPatch[] | undefined): void {
    if (!patches?.length) return;
    this.batch(() => {
      for (const patch of patches) {
        if (!patch || typeof patch.session !== "string") continue;
        this.setInspector(patch.session, { windows: patch.windows ?? [], panes: patch.panes ?? [] });
      }
    });
  }

  setInspector(session: string, inspector: Inspector): void {
    const next = sortInspector(inspector);
    const old = this.inspectors.get(session);
    if (old && sameJson(old, next)) return;
    this.inspectors.set(session, next);
    this.mark(false, session);
  }

  removeSession(name: string): void {
    this.batch(() => this.deleteSession(name));
  }

  renameSession(from: string, to: string): void {
    const session = this.sessionMap.get(from);
    if (!session || from === to) return;
    this.batch(() => {
      this.sessionMap.delete(from);
      this.sessionMap.set(to, { ...session, name: to });
      const inspector = this.inspectors.get(from);
      this.inspectors.delete(from);
      if (inspector) {
        this.inspectors.set(to, {
          windows: inspector.windows.map((w) => ({ ...w, session: to })),
          panes: inspector.panes.map((p) => ({ ...p, session: to })),
        });
      }
      this.mark(true);
    });
  }

  /** Forget everything (another server). */
  clear(): void {
    this.batch(() => {
      if (this.sessionMap.size || this.inspectors.size || this.loaded) this.mark(true);
      this.sessionMap.clear();
      this.inspectors.clear();
      this.loaded = false;
    });
  }

  snapshot(): SessionSnapshot[] {
    return this.sessions().map((s) => {
      const inspector = this.inspectors.get(s.name);
      const out: SessionSnapshot = {
        name: s.name,
        attached: s.attached,
        windows: s.windows,
        panes: s.panes,
        unreadWindows: s.unreadWindows,
        unreadPanes: s.unreadPanes,
        command: s.command,
        activityAt: s.activityAt,
      };
      if (inspector) {
        out.inspector = inspector.windows.map((w) => ({
          index: w.index,
          name: w.name,
          active: w.active,
          unreadPanes: w.unreadPanes,
          hasUnread: w.hasUnread,
          panes: inspector.panes
            .filter((p) => p.windowIndex === w.index)
            .map((p) => ({
              paneId: p.paneId,
              index: p.paneIndex,
              title: p.title,
              active: p.active,
              hasUnread: p.hasUnread,
              currentCommand: p.currentCommand ?? "",
              currentPath: p.currentPath ?? "",
            })),
        }));
      }
      return out;
    });
  }

  dispose(): void {
    this.changes.dispose();
  }

  private deleteSession(name: string): void {
    const had = this.sessionMap.delete(name);
    const hadInspector = this.inspectors.delete(name);
    if (had || hadInspector) this.mark(true);
  }

  private mark(structure: boolean, session?: string): void {
    this.pending ??= { structure: false, sessions: new Set() };
    if (structure) this.pending.structure = true;
    if (session !== undefined) this.pending.sessions.add(session);
    if (this.batchDepth === 0) this.flush();
  }

  private flush(): void {
    const change = this.pending;
    this.pending = undefined;
    if (change && (change.structure || change.sessions.size)) this.changes.fire(change);
  }
}
