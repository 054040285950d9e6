import {
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { basename, join } from "node:path";
import { randomSuffix } from "./ids.ts";
import { pauseThread } from "./pause.ts";

/**
 * The write half of a record (PROTOCOL.md, Write): a file written whole in `tmp/`, and the one way a file goes from
 * there to a name nobody else may have (`commitExclusive`). Internal to fsqueue: index.ts does not export it, so
 * nothing outside the queue publishes with link(2).
 */
export interface Staged {
  staging: string;
  target: string;
}

/**
 * Write steps 1-3: `tmp/<target name>.<pid>.<6 random>`, created with `wx`, written whole, closed. `fsync`: synced
 * first; a batch leaves it to one pass over all its files (durable.ts).
 */
export function stageFile(tmpDir: string, target: string, content: string, fsync = true): Staged {
  const staging = join(tmpDir, `${basename(target)}.${process.pid}.${randomSuffix(6)}`);
  const fd = openSync(staging, "wx", 0o600);
  try {
    const bytes = Buffer.from(content);
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written);
    if (fsync) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return { staging, target };
}

/**
 * Commits a staged file with link(2), which fails with EEXIST rather than replace a file (Maildir's delivery): a
 * new name must never overwrite another writer's file. The staging file is gone afterwards, however it went.
 */
export function commitExclusive(file: Staged): void {
  try {
    linkExclusive(file.staging, file.target);
  } finally {
    unlinkSync(file.staging);
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
