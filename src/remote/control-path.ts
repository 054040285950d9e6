import { chmod, lstat, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { RvError } from "../errors.ts";

/**
 * Where ssh keeps its ControlMaster sockets. A unix socket path must fit in sun_path: 104 bytes on macOS and
 * the BSDs (108 on Linux), counting the final NUL. ssh names the socket `cm-` + %C (40 hex characters), and
 * while creating it binds a temporary name with a 17-character random suffix, so that longer name must fit.
 * A deep $RV_HOME would not, so then the sockets go to a private per-user directory under the temp dir (and
 * under /tmp when even that is too deep, as macOS's per-user $TMPDIR is).
 */
const maxSocketPathBytes = 103;
const socketNameBytes = "/cm-".length + 40 + ".".length + 16;
/** ssh splits -o values on whitespace and quotes, and expands % and a leading ~: keep such paths out. */
const plainPath = /^[^\s"'\\%~]+$/;

export function controlPath(directory: string): string {
  return join(directory, "cm-%C");
}

/** Picks the first usable candidate for `preferred`, makes sure it is a private (0700) directory, returns it. */
export async function prepareControlDir(preferred: string): Promise<string> {
  const directory = socketDirCandidates(preferred).find(fits);
  if (!directory) {
    throw new RvError("io", `no directory short enough for ssh control sockets (tried ${preferred})`, {
      hint: "set TMPDIR to a short path such as /tmp",
    });
  }
  await ensurePrivateDir(directory);
  return directory;
}

export function socketDirCandidates(preferred: string): string[] {
  const uid = process.getuid?.() ?? 0;
  return [resolve(preferred), join(tmpdir(), `rv-ssh-${uid}`), `/tmp/rv-ssh-${uid}`];
}

function fits(directory: string): boolean {
  return (
    isAbsolute(directory) &&
    plainPath.test(directory) &&
    Buffer.byteLength(directory) + socketNameBytes <= maxSocketPathBytes
  );
}

/**
 * The fallback sits in a shared temp dir, where another user could have made it first (or a symlink in its
 * place) to catch our sockets: refuse anything that is not a real directory owned by us, and make it 0700.
 */
async function ensurePrivateDir(directory: string): Promise<void> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const stats = await lstat(directory);
  const uid = process.getuid?.();
  if (!stats.isDirectory() || (uid !== undefined && stats.uid !== uid)) {
    throw new RvError("io", `${directory} is not a directory of yours; refusing to keep ssh sockets there`, {
      hint: `remove it (after checking who made it) and retry`,
    });
  }
  if ((stats.mode & 0o777) !== 0o700) await chmod(directory, 0o700);
}
