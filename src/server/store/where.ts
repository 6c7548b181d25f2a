// A WHERE clause built from optional filters, with its parameters in order: the search routes' shared shape.

export type SqlValue = string | number;

export class Where {
  private readonly clauses: string[] = [];
  readonly params: SqlValue[] = [];

  /** `column = value`, when the value is given (not undefined, not ""). */
  equals(column: string, value: SqlValue | undefined): this {
    if (value === undefined || value === "") return this;
    return this.raw(`${column} = ?`, value);
  }

  /** `column >= value` / `column <= value`, when given. */
  atLeast(column: string, value: SqlValue | undefined): this {
    return value === undefined || value === "" ? this : this.raw(`${column} >= ?`, value);
  }

  atMost(column: string, value: SqlValue | undefined): this {
    return value === undefined || value === "" ? this : this.raw(`${column} <= ?`, value);
  }

  /** Any of the columns contains `text` (LIKE with %, _ and \ escaped), when given. */
  contains(columns: string[], text: string | undefined): this {
    if (!text) return this;
    const like = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    return this.raw(
      `(${columns.map((c) => `${c} LIKE ? ESCAPE '\\'`).join(" OR ")})`,
      ...columns.map(() => like),
    );
  }

  /** Any clause with its `?` values. */
  raw(clause: string, ...values: SqlValue[]): this {
    this.clauses.push(clause);
    this.params.push(...values);
    return this;
  }

  toString(): string {
    return this.clauses.length ? `WHERE ${this.clauses.join(" AND ")}` : "";
  }
}
