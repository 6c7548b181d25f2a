// Route schema compilers: TypeBox's own compiler validates every route schema (they are TypeBox schemas), so
// fastify never loads Ajv or fast-json-stringify. That keeps cold start short (loading and compiling with
// Ajv took about a third of it) and keeps one schema library, as the stack decision says.
import type { FastifyServerOptions } from "fastify";
import type { TSchema } from "typebox";
import { Compile } from "typebox/compile";
import { Value } from "typebox/value";

type CompilersFactory = NonNullable<
  NonNullable<FastifyServerOptions["schemaController"]>["compilersFactory"]
>;

/**
 * Bodies are checked as sent (no coercion); params and query strings are converted first (`"5"` → 5).
 * Each schema is compiled on its route's first request, not at start-up (compiling all of them took ~70 ms).
 */
function compileValidator({ schema, httpPart }: { schema: TSchema; httpPart?: string }) {
  let compiled: ReturnType<typeof Compile<TSchema>> | undefined;
  return (value: unknown) => {
    compiled ??= Compile(schema);
    const check = compiled;
    const converted = httpPart === "body" ? value : Value.Convert(schema, value);
    return check.Check(converted) ? { value: converted } : { error: check.Errors(converted) };
  };
}

export const schemaCompilers: CompilersFactory = {
  buildValidator: () => compileValidator as never,
  // No route declares a response schema; replies are serialised with JSON.stringify.
  buildSerializer: () => () => (data: unknown) => JSON.stringify(data),
};
