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
];
