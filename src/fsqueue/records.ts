import {
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { basename, join } from "node:path";
import type { z } from "zod";
import { RvError } from "../errors.ts";
import { randomSuffix } from "./ids.ts";
import { pauseThread } from "./pause.ts";
import { PROTOCOL_VERSION } from "./schema.ts";

/**
 * Invariants 1 and 4: a record is written whole in `tmp/`, fsynced, closed, then renamed into place.
 * The rename is the single commit point; a reader sees the old file or the new one, never a part.
 * `exclusive` commits with link() instead, which fails with EEXIST rather than replace a record (Maildir's
 * delivery): a new name must never overwrite another writer's file.
 */
export function writeFileAtomic(tmpDir: string, target: string, content: string, exclusive = false): void {
  const staging = join(tmpDir, `${basename(target)}.${process.pid}.${randomSuffix(6)}`);
  const fd = openSync(staging, "wx", 0o600);
  try {
    const bytes = Buffer.from(content);
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (!exclusive) {
    renameSync(staging, target);
    return;
  }
  try {
    linkExclusive(staging, target);
  } finally {
    unlinkSync(staging);
  }
}

/** How often a link a network filesystem refused for a file that is there is asked again, and how far apart. */
const LINK_TRIES = 10;
const LINK_PAUSE_MS = 50;

/**
 * link(2) as an exclusive commit, on filesystems that answer wrongly now and then. sshfs with caching answers
 * ENOENT (or ESTALE) for a staging file it created a moment ago: while the file is there, ask again. And a link
 * whose reply was lost may come back EEXIST on the next try although it happened: then the staging file has a
 * second link (only this writer ever links it), or, where the link count is not told (sshfs says 1), the target
 * holds exactly the staging file's bytes (a record holds a fresh id and time).
 */
function linkExclusive(staging: string, target: string): void {
  for (let tries = 1; ; tries++) {
    try {
      linkSync(staging, target);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EEXIST" && tries > 1 && (linkCount(staging) > 1 || sameBytes(staging, target))) return;
      const refusedWhileThere = (code === "ENOENT" || code === "ESTALE") && existsSync(staging);
      if (!refusedWhileThere || tries >= LINK_TRIES) throw error;
      pauseThread(LINK_PAUSE_MS);
    }
  }
}

function sameBytes(a: string, b: string): boolean {
  try {
    return readFileSync(a).equals(readFileSync(b));
  } catch {
    return false;
  }
}

function linkCount(file: string): number {
  try {
    return statSync(file).nlink;
  } catch {
    return 0;
  }
}

export function writeRecordAtomic(tmpDir: string, target: string, record: unknown, exclusive = false): void {
  writeFileAtomic(tmpDir, target, `${JSON.stringify(record)}\n`, exclusive);
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string; version?: unknown };

/** Validates a record's text against its schema; a `v` rv does not know is its own, clearer failure. */
export function parseRecord<T>(text: string, schema: z.ZodType<T>): Parsed<T> {
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
export function readRecord<T>(file: string, schema: z.ZodType<T>): T {
  const parsed = parseRecord(readFileSync(file, "utf8"), schema);
  if (parsed.ok) return parsed.value;
  throw new RvError(parsed.version === undefined ? "bad_record" : "unsupported_version", `${file}: ${parsed.reason}`);
}

/** Reads a record if it exists and is valid; `undefined` when it vanished under us (a normal race). */
export function tryReadRecord<T>(file: string, schema: z.ZodType<T>): Parsed<T> | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  return parseRecord(text, schema);
}

/**
 * The records of an append-only JSON-lines log, oldest first; none when it does not exist yet. A line that does
 * not parse (a torn last line of a crash, an append a filesystem did not keep whole) is skipped.
 */
export function readRecordLines<T>(file: string, schema: z.ZodType<T>): T[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const records: T[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const parsed = parseRecord(line, schema);
    if (parsed.ok) records.push(parsed.value);
  }
  return records;
}
