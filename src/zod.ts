import { z } from "zod/mini";
import en from "zod/v4/locales/en.js";

/**
 * rv's schemas are zod's functional API (zod/mini): every rv command is a fresh process that builds the schemas of
 * the records it reads, and zod's chained API costs about twice as much to build and touches more memory (a program
 * building 12 records' schemas, compiled as rv is: 25-27 ms against 12-13, bench/changes.md step 10). zod/mini comes with no error messages of its
 * own: these are the English ones the chained API has by default, which rv's errors quote. The English module is
 * imported by itself: `z.locales.en` keeps every locale of zod in the binary's shared chunk, ~265 KB that every
 * command loaded (~2.5 ms of each start, bench/changes.md step 11).
 */
z.config(en());

/**
 * `z.optional(schema)`, with a deferred `schema` (src/deferred.ts) built only when a value is there to check. zod's
 * optional asks its inner schema whether it has a default even when the value is absent, and that builds it (the
 * task spec's sweep, code, retry and checkpoint schemas on every submit, ~30 instances); a pipe answers for its first
 * stage, `unknown`, and reaches the schema only with a value. The same checks, messages and paths; z.optional's type.
 */
export function optionalBuiltOnUse<S extends z.ZodMiniType>(schema: S): z.ZodMiniOptional<S> {
  return z.optional(
    z.pipe(
      z.unknown(),
      z.lazy(() => schema),
    ),
  ) as unknown as z.ZodMiniOptional<S>;
}

export { z };
