/**
 * The one error type rv throws on purpose. A leaf module shared by every layer (it imports nothing),
 * so that `fsqueue` can stay free of the rest of the project and the CLI can still catch errors once.
 */
export type RvErrorCode =
  | "usage"
  | "not_found"
  | "ambiguous"
  | "bad_record"
  | "unsupported_version"
  | "lease_released"
  | "no_runner"
  | "timeout"
  | "cannot_run"
  | "unreachable"
  | "cluster"
  | "io"
  | "internal";

const exitCodes: Record<RvErrorCode, number> = {
  usage: 2,
  not_found: 3,
  ambiguous: 3,
  bad_record: 4,
  unsupported_version: 4,
  lease_released: 5,
  no_runner: 5,
  timeout: 6,
  cannot_run: 9,
  unreachable: 7,
  cluster: 8,
  io: 1,
  internal: 1,
};

export class RvError extends Error {
  readonly code: RvErrorCode;
  readonly hint: string | undefined;

  constructor(code: RvErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "RvError";
    this.code = code;
    this.hint = options.hint;
  }

  get exitCode(): number {
    return exitCodes[this.code];
  }

  /** What `--json` and the RPC say of it: `{code, message, hint}`, the hint null when there is none. */
  toRecord(): { code: RvErrorCode; message: string; hint: string | null } {
    return { code: this.code, message: this.message, hint: this.hint ?? null };
  }
}

/**
 * What the CLI and the RPC report for anything thrown: an RvError as it is; a filesystem that is full, read-only
 * or refuses access as the `io` error it is, with what to do (it is not a bug, and rv's writes are all-or-nothing,
 * so the fix is to make room and run the command again); anything else as a bug.
 */
export function asRvError(error: unknown, bugHint: string): RvError {
  if (error instanceof RvError) return error;
  const system = error as NodeJS.ErrnoException;
  const where = system.path ? ` (${system.path})` : "";
  switch (system.code) {
    case "ENOSPC":
    case "EDQUOT":
      return new RvError("io", `no space left on the device${where}`, {
        hint: "free some space there (df -h): what was written before this stands whole (rv tasks shows it), nothing half-written shows",
        cause: error,
      });
    case "EROFS":
      return new RvError("io", `the filesystem is read-only${where}`, {
        hint: "rv needs to write there",
        cause: error,
      });
    case "EACCES":
    case "EPERM":
      return new RvError("io", `permission denied${where}`, {
        hint: "rv's directories are private to their owner (0700): run as that user, or fix the owner",
        cause: error,
      });
    default:
      return new RvError("internal", error instanceof Error ? error.message : String(error), {
        hint: bugHint,
        cause: error,
      });
  }
}
