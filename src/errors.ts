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
