// ops_custom_services (spec §8, §9): services the user registered to track, beside the two built-ins.
import type { Store } from "./database.js";

export interface CustomService {
  name: string;
  displayName: string;
  manager: string;
  unit: string;
  scope: string;
  enabled: boolean;
}

type RawRow = Record<string, string | number>;

export class DuplicateServiceError extends Error {}

export class OpsServicesRepo {
  constructor(private readonly store: Store) {}

  /** Enabled custom services, by name. */
  list(): CustomService[] {
    return this.store
      .all<RawRow>(
        "SELECT name, display_name, manager, unit, scope, enabled FROM ops_custom_services WHERE enabled = 1 ORDER BY name",
      )
      .map((r) => ({
        name: String(r.name),
        displayName: String(r.display_name),
        manager: String(r.manager),
        unit: String(r.unit),
        scope: String(r.scope),
        enabled: Number(r.enabled) === 1,
      }));
  }

  /** Throws DuplicateServiceError when the name is taken. */
  insert(s: Omit<CustomService, "enabled">, now: string): void {
    try {
      this.store.run(
        `INSERT INTO ops_custom_services (name, display_name, manager, unit, scope, enabled, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, 1, ?, ?)`,
        [s.name, s.displayName, s.manager, s.unit, s.scope, now, now],
      );
    } catch (error) {
      if (/UNIQUE constraint failed/i.test((error as Error).message)) throw new DuplicateServiceError(s.name);
      throw error;
    }
  }

  /** True when a row was removed. */
  remove(name: string): boolean {
    return this.store.run("DELETE FROM ops_custom_services WHERE name = ?", [name]).changes > 0;
  }
}
