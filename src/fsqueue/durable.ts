import { spawnSync } from "node:child_process";
import { closeSync, fsyncSync, openSync } from "node:fs";

/**
 * How a batch's staged files become durable: each fsynced as it is written (Write step 3), or all of them at once
 * by one syncfs(2) of their filesystem. An fsync costs a disk flush (about 0.3 ms on a local disk, so 3 s for
 * 10,000 tasks); one syncfs writes every file back and flushes once.
 */
export type BatchSync = "each" | "filesystem";

/** Below this many files, fsyncing each costs less than starting `sync` (about 3 ms). */
export const SYNCFS_FROM_FILES = 32;

export function batchSync(files: number, platform: NodeJS.Platform, kernel: string): BatchSync {
  return files >= SYNCFS_FROM_FILES && syncfsReportsErrors(platform, kernel) ? "filesystem" : "each";
}

/**
 * Linux reports write-back errors to syncfs(2) from 5.8 on; an older kernel answers 0 whatever it lost, so there
 * only an fsync of each file tells. Elsewhere (macOS) there is no syncfs.
 */
function syncfsReportsErrors(platform: NodeJS.Platform, kernel: string): boolean {
  const [, major = "0", minor = "0"] = /^(\d+)\.(\d+)/.exec(kernel) ?? [];
  return platform === "linux" && (Number(major) > 5 || (Number(major) === 5 && Number(minor) >= 8));
}

/**
 * Makes `files` (written and closed, on the filesystem of `dir`) durable with one syncfs(2): Node has no call for
 * it, `sync -f` (coreutils) is that call. When it cannot run or fails, each file is fsynced instead, which also
 * says which one failed.
 */
export function syncFilesystem(dir: string, files: readonly string[]): void {
  if (spawnSync("sync", ["-f", dir], { stdio: "ignore" }).status === 0) return;
  for (const file of files) fsyncPath(file);
}

/** A file's data, or a directory's entries (the links made in it), on disk. */
export function fsyncPath(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
