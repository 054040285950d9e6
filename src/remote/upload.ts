import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { posix } from "node:path";
import { pipeline } from "node:stream/promises";
import { RvError } from "../errors.ts";
import type { CommandResult, FileRemote, Remote } from "./types.ts";

export interface UploadOptions {
  /** Permission bits of the uploaded file; the local file's by default. */
  mode?: number;
}

const checksumMismatch = 3;

/**
 * The far side of an upload, as one `sh -c` line (a login shell parses it, so it must hold no newline). The
 * file lands in a temporary name beside the target, is checked against the local sha256, and is renamed over
 * the target, so no reader ever sees a half-written file and a running binary is replaced, never rewritten.
 * The EXIT trap removes the temporary file on every failure; after the rename there is nothing left to remove.
 */
const receiveScript = [
  "set -e",
  "tmp=$1 dst=$2 want=$3 mode=$4",
  `trap 'rm -f "$tmp"' EXIT`,
  "trap 'exit 129' HUP",
  // A dropped connection closes stdout and stderr: the next message would kill sh by SIGPIPE, skipping the EXIT trap.
  "trap 'exit 141' PIPE",
  "trap 'exit 143' TERM",
  `if [ -d "$dst" ]; then echo "rv-upload: $dst is a directory" >&2; exit 2; fi`,
  `cat >"$tmp"`,
  `if command -v sha256sum >/dev/null 2>&1; then got=$(sha256sum <"$tmp"); else got=$(shasum -a 256 <"$tmp"); fi`,
  `case "$got" in "$want "*) ;; *) echo "rv-upload: checksum mismatch for $dst" >&2; exit ${checksumMismatch} ;; esac`,
  `chmod "$mode" "$tmp"`,
  `mv -f "$tmp" "$dst"`,
].join("; ");

/**
 * Copies `localFile` to `remotePath` on `remote` atomically, in one round trip. The parent directory must
 * exist (its permissions are the caller's choice). `remote` must come from localRemote() or sshRemote().
 */
export async function upload(
  remote: Remote,
  localFile: string,
  remotePath: string,
  options: UploadOptions = {},
): Promise<void> {
  const { sha256, mode } = await describeLocalFile(localFile);
  const tmp = temporaryPath(remotePath);
  const argv = ["sh", "-c", receiveScript, "rv-upload", tmp, remotePath, sha256, (options.mode ?? mode).toString(8)];
  const result = await streamingRemote(remote).runWithStdinFile(argv, localFile);
  if (result.exitCode !== 0) throw uploadFailure(result, localFile, remotePath, remote.where);
}

async function describeLocalFile(localFile: string): Promise<{ sha256: string; mode: number }> {
  try {
    const stats = await stat(localFile);
    if (!stats.isFile()) throw new RvError("usage", `not a regular file, cannot upload it: ${localFile}`);
    const hash = createHash("sha256");
    await pipeline(createReadStream(localFile), hash);
    return { sha256: hash.digest("hex"), mode: stats.mode & 0o777 };
  } catch (error) {
    if (error instanceof RvError) throw error;
    throw new RvError("not_found", `cannot read ${localFile}: ${(error as Error).message}`, { cause: error });
  }
}

/** Beside the target, so the final rename stays within one filesystem (and so is atomic). */
function temporaryPath(remotePath: string): string {
  const name = posix.basename(remotePath);
  if (!name || remotePath.endsWith("/")) throw new RvError("usage", `upload needs a file path, got ${remotePath}`);
  return posix.join(posix.dirname(remotePath), `.${name}.${randomBytes(6).toString("hex")}.tmp`);
}

function streamingRemote(remote: Remote): FileRemote {
  if ("runWithStdinFile" in remote) return remote as FileRemote;
  throw new RvError("internal", `cannot upload files to ${remote.where}: it cannot stream a file`);
}

function uploadFailure(result: CommandResult, localFile: string, remotePath: string, where: string): RvError {
  const reason = result.stderr.trim().split("\n").at(-1) ?? `exit ${result.exitCode}`;
  if (result.exitCode === checksumMismatch) {
    return new RvError(
      "io",
      `upload of ${localFile} to ${where}:${remotePath} arrived corrupted; nothing was replaced`,
      {
        hint: "retry; if it keeps failing, check that the local file is not being rewritten during the upload",
      },
    );
  }
  return new RvError("cluster", `cannot upload ${localFile} to ${where}:${remotePath}: ${reason}`, {
    hint: "check that the directory exists, is writable and has free space",
  });
}
