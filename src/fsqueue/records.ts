import { readFileSync, renameSync } from "node:fs";
import { RvError } from "../errors.ts";
import type { z } from "../zod.ts";
import { PROTOCOL_VERSION } from "./schema.ts";
import { commitExclusive, stageFile } from "./staging.ts";

/**
 * Invariants 1 and 4: a record is written whole in `tmp/`, fsynced, closed, then renamed into place.
 * The rename is the single commit point; a reader sees the old file or the new one, never a part.
 * `exclusive` commits with link() instead, which fails with EEXIST rather than replace a record (Maildir's
 * delivery): a new name must never overwrite another writer's file.
 */
export function writeFileAtomic(tmpDir: string, target: string, content: string, exclusive = false): void {
  const file = stageFile(tmpDir, target, content);
  if (exclusive) commitExclusive(file);
  else renameSync(file.staging, target);
}

export function writeRecordAtomic(tmpDir: string, target: string, record: unknown, exclusive = false): void {
  writeFileAtomic(tmpDir, target, `${JSON.stringify(record)}\n`, exclusive);
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string; version?: unknown };

/** Validates a record's text against its schema; a `v` rv does not know is its own, clearer failure. */
export function parseRecord<T>(text: string, schema: z.ZodMiniType<T>): Parsed<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `not JSON: ${(error as Error).message}` };
  }
  const version = (json as { v?: unknown } | null)?.v;
  if (json !== null && typeof json === "object" && version !== PROTOCOL_VERSION) {
    return {
      ok: false,
      version,
      reason:
        version === undefined
          ? "no protocol version field `v`"
          : `protocol version v=${JSON.stringify(version)}, this rv reads v=${PROTOCOL_VERSION} (upgrade rv)`,
    };
  }
  const result = schema.safeParse(json);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0];
  return { ok: false, reason: `schema: ${issue?.path.join(".") || "(root)"}: ${issue?.message}` };
}

/** Reads a record that must be valid (the caller cannot go on without it). */
export function readRecord<T>(file: string, schema: z.ZodMiniType<T>): T {
  const parsed = parseRecord(readFileSync(file, "utf8"), schema);
  if (parsed.ok) return parsed.value;
  throw new RvError(parsed.version === undefined ? "bad_record" : "unsupported_version", `${file}: ${parsed.reason}`);
}

/** Reads a record if it exists and is valid; `undefined` when it vanished under us (a normal race). */
export function tryReadRecord<T>(file: string, schema: z.ZodMiniType<T>): Parsed<T> | undefined {
  const text = readTextIfPresent(file);
  return text === undefined ? undefined : parseRecord(text, schema);
}

/** A file's text; `undefined` when it vanished under us (a normal race). */
export function readTextIfPresent(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * The records of an append-only JSON-lines log, oldest first; none when it does not exist yet. A line that does
 * not parse (a torn last line of a crash, an append a filesystem did not keep whole) is skipped. With `mentioning`,
 * only the lines with that text in them are parsed: a reader after one task's records skips a long log's others
 * unparsed.
 */
export function readRecordLines<T>(file: string, schema: z.ZodMiniType<T>, mentioning?: string): T[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const records: T[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "" || (mentioning !== undefined && !line.includes(mentioning))) continue;
    const parsed = parseRecord(line, schema);
    if (parsed.ok) records.push(parsed.value);
  }
  return records;
}
