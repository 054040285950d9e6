import { z } from "zod";

/**
 * Parsers as a command wants them, set before any schema is built (each reads it then): a command parses each kind
 * of record a few times, and compiling a parser per schema costs more than it saves (a first parse 1-5 ms, against
 * 0.2-1.4 ms without; each later one ~8 µs against ~10).
 */
export function interpretParsers(): void {
  z.config({ jitless: true });
}
