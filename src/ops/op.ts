import type { z } from "zod";
import type { Config } from "../config/index.ts";
import type { LeaseEnv } from "../lease/env.ts";

/** Where an op's output goes while it runs: a task's output as it comes, and notes for the person waiting. */
export interface Sink {
  out(text: string): void;
  err(text: string): void;
  note(text: string): void;
  /** How far a long op has got, for a progress line; the op that sends it exports the schema of its shape. */
  progress(facts: unknown): void;
}

/**
 * What an op sees of the place it runs in: rv's root there (this machine's RV_HOME, or the cluster root on the
 * login node), its config and environment, Slurm through `remote`, and the caller's end of the call.
 */
export interface OpEnv extends LeaseEnv {
  config: Config;
  env: NodeJS.ProcessEnv;
  /** Where a task submitted without --cwd runs: the caller's directory here, the home directory on a login node. */
  cwd: string;
  /** Fires when the caller stops listening (Ctrl-C here, a closed ssh session there): a following op ends early. */
  signal: AbortSignal;
  sink: Sink;
}

/**
 * One verb's operation: its input and result schemas and the one function that does the work against an rv
 * root. A local lease's op runs in-process; a cluster lease's runs the same function on the login node (`rv rpc`),
 * and its result is validated where it arrives (places.ts).
 */
export interface Op<I extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly input: I;
  readonly result: R;
  run(env: OpEnv, input: z.output<I>): Promise<z.input<R>> | z.input<R>;
}

export function defineOp<I extends z.ZodType, R extends z.ZodType>(op: Op<I, R>): Op<I, R> {
  return op;
}
