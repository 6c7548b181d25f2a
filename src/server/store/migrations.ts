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
];
