import type { Config } from "../config/index.ts";
import { deferred } from "../deferred.ts";
import type { LeaseEnv } from "../lease/env.ts";
import { z } from "../zod.ts";

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
export interface Op<I extends z.ZodMiniType = z.ZodMiniType, R extends z.ZodMiniType = z.ZodMiniType> {
  readonly name: string;
  readonly input: I;
  readonly result: R;
  run(env: OpEnv, input: z.output<I>): Promise<z.input<R>> | z.input<R>;
}

export function defineOp<I extends z.ZodMiniType, R extends z.ZodMiniType>(op: Op<I, R>): Op<I, R> {
  return op;
}

/**
 * An op whose result is a list that may be too long to hold whole (a history of 100,000 tasks): `list` yields the
 * items as it reads them and returns their total once it has read them all (with a limit, it yields fewer). Here the
 * caller takes them one at a time (Place.list), unchecked: they never left this process, and their type is
 * `item`'s output. `run`, for `rv rpc` and Place.call, gathers them into one result, checked where it arrives.
 */
export interface ListOp<I extends z.ZodMiniType = z.ZodMiniType, T = unknown>
  extends Op<I, z.ZodMiniObject<{ items: z.ZodMiniArray<z.ZodMiniType<T, T>>; total: z.ZodMiniNumber }>> {
  /**
   * What one item is. Its input and output are one type (no defaults, no transforms): an item yielded here is what
   * the far side's check would have given back.
   */
  readonly item: z.ZodMiniType<T, T>;
  list(env: OpEnv, input: z.output<I>): Listing<T>;
}

/** The items of a list op, one at a time, and when they are all read, their total. */
export type Listing<T> = Generator<T, number, undefined>;

/** A listing of items already read. */
export function* listing<T>(items: Iterable<T>, total: number): Listing<T> {
  yield* items;
  return total;
}

/** Lists each sorted by `key`, merged into one sorted list, read one item at a time from each. */
export function* mergeSorted<T>(lists: Iterable<T>[], key: (item: T) => string): Generator<T, void, undefined> {
  const heads = lists.map((list) => {
    const items = list[Symbol.iterator]();
    return { items, next: items.next() };
  });
  for (;;) {
    let first: { key: string; head: (typeof heads)[number]; value: T } | undefined;
    for (const head of heads) {
      if (head.next.done) continue;
      const value = head.next.value;
      if (first === undefined || key(value) < first.key) first = { key: key(value), head, value };
    }
    if (first === undefined) return;
    yield first.value;
    first.head.next = first.head.items.next();
  }
}

export function defineListOp<I extends z.ZodMiniType, T>(
  op: Pick<ListOp<I, T>, "name" | "input" | "item" | "list">,
): ListOp<I, T> {
  return {
    ...op,
    result: deferred(() => z.object({ items: z.array(op.item), total: z.int() })),
    run(env, input) {
      const listing = op.list(env, input);
      const items: T[] = [];
      for (let next = listing.next(); ; next = listing.next()) {
        if (next.done) return { items, total: next.value };
        items.push(next.value);
      }
    },
  };
}
