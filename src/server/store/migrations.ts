// Versioned schema migrations, applied in order inside one transaction each; `PRAGMA user_version` records
// the last one applied. Append new migrations; never edit a released one.

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: "sessions metadata",
    sql: `
      CREATE TABLE IF NOT EXISTS sessions (
        name TEXT PRIMARY KEY,
        hash TEXT NOT NULL,
        last_content TEXT NOT NULL DEFAULT '',
        icon TEXT NOT NULL DEFAULT '',
        next_window_seq INTEGER NOT NULL DEFAULT 1,
        updated_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: "guardrail rules and audit",
    sql: `
      CREATE TABLE IF NOT EXISTS guardrail_rules (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL DEFAULT '',
        scope TEXT NOT NULL DEFAULT 'command',
        pattern TEXT NOT NULL,
        mode TEXT NOT NULL DEFAULT 'allow',
        severity TEXT NOT NULL DEFAULT 'warn',
        message TEXT NOT NULL DEFAULT '',
        enabled INTEGER NOT NULL DEFAULT 1,
        priority INTEGER NOT NULL DEFAULT 100,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS guardrail_audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        rule_id TEXT NOT NULL DEFAULT '',
        decision TEXT NOT NULL,
        action TEXT NOT NULL DEFAULT '',
        command TEXT NOT NULL DEFAULT '',
        session_name TEXT NOT NULL DEFAULT '',
        window_index INTEGER NOT NULL DEFAULT -1,
        pane_id TEXT NOT NULL DEFAULT '',
        override INTEGER NOT NULL DEFAULT 0,
        reason TEXT NOT NULL DEFAULT '',
        metadata TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS idx_guardrail_audit_created ON guardrail_audit (created_at DESC, id DESC);
    `,
  },
  {
    version: 3,
    name: "watchtower projection, presence, journal, runtime, timeline",
    sql: `
      CREATE TABLE IF NOT EXISTS wt_sessions (
        session_name TEXT PRIMARY KEY,
        attached INTEGER NOT NULL DEFAULT 0,
        windows INTEGER NOT NULL DEFAULT 0,
        panes INTEGER NOT NULL DEFAULT 0,
        session_created TEXT NOT NULL DEFAULT '',
        activity_at TEXT NOT NULL DEFAULT '',
        last_preview TEXT NOT NULL DEFAULT '',
        last_preview_at TEXT NOT NULL DEFAULT '',
        last_preview_pane_id TEXT NOT NULL DEFAULT '',
        unread_windows INTEGER NOT NULL DEFAULT 0,
        unread_panes INTEGER NOT NULL DEFAULT 0,
        rev INTEGER NOT NULL DEFAULT 1,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS wt_windows (
        session_name TEXT NOT NULL,
        window_index INTEGER NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        active INTEGER NOT NULL DEFAULT 0,
        layout TEXT NOT NULL DEFAULT '',
        window_activity_at TEXT NOT NULL DEFAULT '',
        unread_panes INTEGER NOT NULL DEFAULT 0,
        has_unread INTEGER NOT NULL DEFAULT 0,
        rev INTEGER NOT NULL DEFAULT 1,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (session_name, window_index)
      );
      CREATE INDEX IF NOT EXISTS idx_wt_windows_activity ON wt_windows (session_name, window_activity_at DESC);
      CREATE TABLE IF NOT EXISTS wt_panes (
        pane_id TEXT PRIMARY KEY,
        session_name TEXT NOT NULL,
        window_index INTEGER NOT NULL,
        pane_index INTEGER NOT NULL,
        title TEXT NOT NULL DEFAULT '',
        active INTEGER NOT NULL DEFAULT 0,
        tty TEXT NOT NULL DEFAULT '',
        current_path TEXT NOT NULL DEFAULT '',
        start_command TEXT NOT NULL DEFAULT '',
        current_command TEXT NOT NULL DEFAULT '',
        tail_hash TEXT NOT NULL DEFAULT '',
        tail_preview TEXT NOT NULL DEFAULT '',
        tail_captured_at TEXT NOT NULL DEFAULT '',
        revision INTEGER NOT NULL DEFAULT 0,
        seen_revision INTEGER NOT NULL DEFAULT 0,
        changed_at TEXT NOT NULL DEFAULT '',
        updated_at TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS idx_wt_panes_position ON wt_panes (session_name, window_index, pane_index);
      CREATE INDEX IF NOT EXISTS idx_wt_panes_unread ON wt_panes (session_name, revision, seen_revision);
      CREATE TABLE IF NOT EXISTS wt_presence (
        terminal_id TEXT PRIMARY KEY,
        session_name TEXT NOT NULL DEFAULT '',
        window_index INTEGER NOT NULL DEFAULT -1,
        pane_id TEXT NOT NULL DEFAULT '',
        visible INTEGER NOT NULL DEFAULT 0,
        focused INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL,
        expires_at TEXT NOT NULL DEFAULT ''
      );
      CREATE TABLE IF NOT EXISTS wt_journal (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        global_rev INTEGER NOT NULL,
        entity_type TEXT NOT NULL,
        session_name TEXT NOT NULL,
        window_index INTEGER NOT NULL DEFAULT -1,
        pane_id TEXT NOT NULL DEFAULT '',
        change_kind TEXT NOT NULL,
        changed_at TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS idx_wt_journal_rev ON wt_journal (global_rev, id);
      CREATE TABLE IF NOT EXISTS wt_runtime (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      INSERT OR IGNORE INTO wt_runtime (key, value, updated_at)
        VALUES ('global_rev', '0', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
      CREATE TABLE IF NOT EXISTS wt_timeline_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        session_name TEXT NOT NULL,
        window_index INTEGER NOT NULL DEFAULT -1,
        pane_id TEXT NOT NULL DEFAULT '',
        event_type TEXT NOT NULL,
        severity TEXT NOT NULL DEFAULT 'info',
        command TEXT NOT NULL DEFAULT '',
        cwd TEXT NOT NULL DEFAULT '',
        duration_ms INTEGER NOT NULL DEFAULT 0,
        summary TEXT NOT NULL DEFAULT '',
        details TEXT NOT NULL DEFAULT '',
        marker TEXT NOT NULL DEFAULT '',
        metadata_json TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS idx_wt_timeline_created ON wt_timeline_events (created_at DESC, id DESC);
      CREATE INDEX IF NOT EXISTS idx_wt_timeline_session ON wt_timeline_events (session_name, created_at DESC);
      CREATE INDEX IF NOT EXISTS idx_wt_timeline_scope
        ON wt_timeline_events (session_name, window_index, pane_id, created_at DESC);
      CREATE INDEX IF NOT EXISTS idx_wt_timeline_type ON wt_timeline_events (event_type, created_at DESC);
      CREATE TABLE IF NOT EXISTS wt_pane_runtime (
        pane_id TEXT PRIMARY KEY,
        session_name TEXT NOT NULL,
        window_index INTEGER NOT NULL DEFAULT -1,
        current_command TEXT NOT NULL DEFAULT '',
        started_at TEXT NOT NULL DEFAULT '',
        updated_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: "recovery sessions, snapshots, jobs and runtime_kv",
    sql: `
      CREATE TABLE IF NOT EXISTS recovery_sessions (
        name TEXT PRIMARY KEY,
        state TEXT NOT NULL DEFAULT 'running',
        latest_snapshot_id INTEGER NOT NULL DEFAULT 0,
        snapshot_hash TEXT NOT NULL DEFAULT '',
        snapshot_at TEXT NOT NULL DEFAULT '',
        last_boot_id TEXT NOT NULL DEFAULT '',
        last_seen_at TEXT NOT NULL DEFAULT '',
        killed_at TEXT NOT NULL DEFAULT '',
        restored_at TEXT NOT NULL DEFAULT '',
        archived_at TEXT NOT NULL DEFAULT '',
        restore_error TEXT NOT NULL DEFAULT '',
        windows INTEGER NOT NULL DEFAULT 0,
        panes INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS idx_recovery_sessions_state ON recovery_sessions (state, snapshot_at DESC);
      CREATE TABLE IF NOT EXISTS recovery_snapshots (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        session_name TEXT NOT NULL,
        boot_id TEXT NOT NULL DEFAULT '',
        state_hash TEXT NOT NULL,
        captured_at TEXT NOT NULL,
        active_window INTEGER NOT NULL DEFAULT -1,
        active_pane_id TEXT NOT NULL DEFAULT '',
        windows INTEGER NOT NULL DEFAULT 0,
        panes INTEGER NOT NULL DEFAULT 0,
        payload_json TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS idx_recovery_snapshots_session
        ON recovery_snapshots (session_name, captured_at DESC, id DESC);
      CREATE TABLE IF NOT EXISTS recovery_jobs (
        id TEXT PRIMARY KEY,
        session_name TEXT NOT NULL,
        target_session TEXT NOT NULL,
        snapshot_id INTEGER NOT NULL,
        mode TEXT NOT NULL,
        conflict_policy TEXT NOT NULL,
        status TEXT NOT NULL,
        total_steps INTEGER NOT NULL DEFAULT 0,
        completed_steps INTEGER NOT NULL DEFAULT 0,
        current_step TEXT NOT NULL DEFAULT '',
        error TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        started_at TEXT NOT NULL DEFAULT '',
        finished_at TEXT NOT NULL DEFAULT ''
      );
      CREATE INDEX IF NOT EXISTS idx_recovery_jobs_status ON recovery_jobs (status, created_at DESC);
      CREATE TABLE IF NOT EXISTS runtime_kv (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 5,
    name: "ops timeline, alerts and custom services",
    sql: `
      CREATE TABLE IF NOT EXISTS ops_timeline_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        source TEXT NOT NULL DEFAULT 'ops',
        event_type TEXT NOT NULL DEFAULT 'ops.event',
        severity TEXT NOT NULL DEFAULT 'info',
        resource TEXT NOT NULL DEFAULT '',
        message TEXT NOT NULL DEFAULT '',
        details TEXT NOT NULL DEFAULT '',
        metadata TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS idx_ops_timeline_created ON ops_timeline_events (created_at DESC, id DESC);
      CREATE INDEX IF NOT EXISTS idx_ops_timeline_source ON ops_timeline_events (source, created_at DESC);
      CREATE TABLE IF NOT EXISTS ops_alerts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        dedupe_key TEXT NOT NULL UNIQUE,
        source TEXT NOT NULL DEFAULT 'ops',
        resource TEXT NOT NULL DEFAULT '',
        title TEXT NOT NULL DEFAULT '',
        message TEXT NOT NULL DEFAULT '',
        severity TEXT NOT NULL DEFAULT 'info',
        status TEXT NOT NULL DEFAULT 'open',
        occurrences INTEGER NOT NULL DEFAULT 1,
        metadata TEXT NOT NULL DEFAULT '{}',
        first_seen_at TEXT NOT NULL,
        last_seen_at TEXT NOT NULL,
        acked_at TEXT NOT NULL DEFAULT '',
        resolved_at TEXT NOT NULL DEFAULT ''
      );
      CREATE INDEX IF NOT EXISTS idx_ops_alerts_last_seen ON ops_alerts (last_seen_at DESC, id DESC);
      CREATE TABLE IF NOT EXISTS ops_custom_services (
        name TEXT PRIMARY KEY,
        display_name TEXT NOT NULL DEFAULT '',
        manager TEXT NOT NULL DEFAULT 'systemd',
        unit TEXT NOT NULL,
        scope TEXT NOT NULL DEFAULT 'user',
        enabled INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 6,
    name: "ops runbooks, runbook runs and schedules",
    sql: `
      CREATE TABLE IF NOT EXISTS ops_runbooks (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        steps_json TEXT NOT NULL DEFAULT '[]',
        enabled INTEGER NOT NULL DEFAULT 1,
        timeout_seconds INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS ops_runbook_runs (
        id TEXT PRIMARY KEY,
        runbook_id TEXT NOT NULL,
        runbook_name TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL,
        total_steps INTEGER NOT NULL DEFAULT 0,
        completed_steps INTEGER NOT NULL DEFAULT 0,
        current_step TEXT NOT NULL DEFAULT '',
        error TEXT NOT NULL DEFAULT '',
        step_results TEXT NOT NULL DEFAULT '[]',
        source TEXT NOT NULL DEFAULT '',
        schedule_id TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        started_at TEXT NOT NULL DEFAULT '',
        finished_at TEXT NOT NULL DEFAULT ''
      );
      CREATE INDEX IF NOT EXISTS idx_ops_runbook_runs_created ON ops_runbook_runs (created_at DESC);
      CREATE INDEX IF NOT EXISTS idx_ops_runbook_runs_status ON ops_runbook_runs (status);
      CREATE TABLE IF NOT EXISTS ops_schedules (
        id TEXT PRIMARY KEY,
        runbook_id TEXT NOT NULL,
        name TEXT NOT NULL,
        schedule_type TEXT NOT NULL,
        cron_expr TEXT NOT NULL DEFAULT '',
        timezone TEXT NOT NULL DEFAULT 'UTC',
        run_at TEXT NOT NULL DEFAULT '',
        enabled INTEGER NOT NULL DEFAULT 0,
        last_run_at TEXT NOT NULL DEFAULT '',
        last_run_status TEXT NOT NULL DEFAULT '',
        next_run_at TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX IF NOT EXISTS idx_ops_schedules_due ON ops_schedules (enabled, next_run_at);
      CREATE INDEX IF NOT EXISTS idx_ops_schedules_runbook ON ops_schedules (runbook_id);
      INSERT OR IGNORE INTO ops_runbooks (id, name, description, steps_json, enabled, created_at, updated_at)
      VALUES (
        'sentinel.host.diagnostics',
        'Host diagnostics',
        'Reads the host''s identity, load, memory and disk, and the tmux version. Changes nothing.',
        '[{"type":"command","title":"Host and kernel","command":"uname -a"},{"type":"command","title":"Uptime and load","command":"uptime"},{"type":"command","title":"Memory","command":"free -m 2>/dev/null || vm_stat"},{"type":"command","title":"Disk usage of /","command":"df -h /"},{"type":"command","title":"tmux version","command":"tmux -V"}]',
        1,
        strftime('%Y-%m-%dT%H:%M:%SZ', 'now'),
        strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
      );
    `,
  },
  {
    version: 7,
    name: "ops runbook runs: the running step's process group",
    sql: `
      ALTER TABLE ops_runbook_runs ADD COLUMN process TEXT NOT NULL DEFAULT '';
    `,
  },
];
