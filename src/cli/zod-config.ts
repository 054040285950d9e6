import { z } from "../zod.ts";

/**
 * zod's cycle support, which rv's records do not need: they come from JSON and TOML, which cannot hold a reference
 * cycle, and no schema of rv refers to itself. The memoizer zod installs by default adds a closure to every
 * container schema it builds and, on a container's first parse, walks its whole tree looking for a cycle, which
 * builds every schema the tree names (a local lease's record built the Slurm request's ~40 schemas). Without it, a
 * `z.lazy` child is built only when a parse reaches it. The interface is zod's own (`$ZodMemoizer`); these are its
 * operations doing nothing: nothing attached, nothing guarded, a container's fresh output used as it is.
 */
const noCycles: z.core.$ZodMemoizer = {
  attach: () => {},
  guard: () => {},
  alloc: (_schema, _payload, empty) => empty,
};

/**
 * Parsers as a command wants them, set before any schema is built (each reads it then): a command parses each kind
 * of record a few times, and compiling a parser per schema costs more than it saves (a first parse 1-5 ms, against
 * 0.2-1.4 ms without; each later one ~8 µs against ~10). No cycle support (above).
 */
export function interpretParsers(): void {
  z.config({ jitless: true, memoizer: noCycles });
}
