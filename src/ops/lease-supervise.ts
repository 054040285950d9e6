import { deferred } from "../deferred.ts";
import { RvError } from "../errors.ts";
import { leasePaths, type SlurmLease } from "../fsqueue/index.ts";
import { journal, readJournal, SupervisionEntrySchema } from "../lease/journal.ts";
import { describePhase } from "../lease/phase.ts";
import { readLatestRace } from "../lease/race/store.ts";
import { requireLease } from "../lease/store.ts";
import {
  isOverdue,
  lookAtSlurmLease,
  type SlurmLeaseLook,
  SlurmLeaseLookSchema,
  type Supervisor,
  superviseSlurmLease,
} from "../lease/supervise.ts";
import { submitWatchdog, supervisorComing, watchdogFiles } from "../lease/watchdog.ts";
import { z } from "../zod.ts";
import { leaseEndOf, tellFromOp } from "./lease-notices.ts";
import { defineOp, type OpEnv } from "./op.ts";
import { pause } from "./pause.ts";

/** How long a watchdog stays to wait out backoffs before it leaves a wake-up instead (its job has 15 min). */
const WATCH_STAY_MS = 12 * 60_000;
/** A backoff is waited out in steps this long: a person may resume or release the lease meanwhile. */
const WATCH_STEP_MS = 5000;

/**
 * `rv lease supervise L`: one pass of the lease's supervisor (lease/supervise.ts), acting on what it finds.
 * `watch`: run by a watchdog job that a segment's bad end woke: it stays while the lease waits out a backoff
 * and acts after it. `ending`: run by a segment's batch script as its last act, with its own job counted as
 * ended. A supervisor that must wait for a backoff and cannot stay leaves a wake-up job at the backoff's end.
 */
export const leaseSuperviseOp = defineOp({
  name: "lease-supervise",
  input: deferred(() =>
    z.object({
      lease: z.string(),
      ending: z._default(z.nullable(z.string()), null),
      watch: z._default(z.boolean(), false),
    }),
  ),
  result: deferred(() =>
    z.extend(SlurmLeaseLookSchema, {
      /** What this supervisor did, from the journal. */
      did: z.array(SupervisionEntrySchema),
    }),
  ),
  async run(env, input) {
    const lease = requireLease(env.root, input.lease);
    if (lease.kind !== "slurm") {
      throw new RvError("usage", `lease ${lease.id} is not a Slurm lease: it has no supervisor`, {
        hint: "a local lease's runner is the lease: rv lease show says whether it is alive",
      });
    }
    const startedAt = env.now().toISOString();
    const supervisor = supervisorOf(env, input);
    const look = await superviseSettled(env, lease.id, supervisor, { stayMs: input.watch ? WATCH_STAY_MS : 0 });
    if (input.watch)
      journal(
        leasePaths(env.root, lease.id),
        supervisor.by,
        `woke: the lease is ${describePhase(look.phase)}`,
        env.now(),
      );
    const did = readJournal(leasePaths(env.root, lease.id), Number.POSITIVE_INFINITY).filter(
      (e) => e.by === supervisor.by && e.at >= startedAt,
    );
    return { ...look, did };
  },
});

/**
 * The supervisor, until the lease no longer waits out a backoff: it stays up to `stayMs` (a watchdog), else
 * leaves a wake-up job at the backoff's end, so that the lease is tried again with nobody looking.
 */
export async function superviseSettled(
  env: OpEnv,
  id: string,
  supervisor: Supervisor,
  options: { stayMs: number; alloc?: boolean },
): Promise<SlurmLeaseLook> {
  const stayUntil = env.now().getTime() + options.stayMs;
  for (;;) {
    const look = await superviseSlurmLease(env, id, supervisor, { alloc: options.alloc ?? false });
    const untilEpoch = retryAtEpoch(look);
    if (untilEpoch === null) return told(env, look);
    const untilMs = untilEpoch * 1000;
    if (untilMs > stayUntil) return leaveWakeUp(env, look, supervisor, untilEpoch);
    await pause(Math.min(WATCH_STEP_MS, Math.max(0, untilMs - env.now().getTime()) + 500), env.signal);
  }
}

/**
 * When the lease, or a part of a lease of parts while the others run, is next tried after its backoff; null when
 * nothing waits out one.
 */
export function retryAtEpoch(look: Pick<SlurmLeaseLook, "phase" | "partRetryAtEpoch">): number | null {
  const times = [
    ...(look.phase.kind === "retrying" ? [look.phase.untilEpoch] : []),
    ...(look.partRetryAtEpoch === undefined ? [] : [look.partRetryAtEpoch]),
  ];
  return times.length > 0 ? Math.min(...times) : null;
}

/** A lease the supervisor finds over (expired, failed for good, released with nothing left running) is told once. */
async function told(env: OpEnv, look: SlurmLeaseLook): Promise<SlurmLeaseLook> {
  const end = leaseEndOf(look);
  if (end) await tellFromOp(env, end);
  return look;
}

function supervisorOf(env: OpEnv, input: { ending: string | null; watch: boolean }): Supervisor {
  const self = env.env.SLURM_JOB_ID ?? null;
  const node = env.env.SLURMD_NODENAME ?? env.host;
  if (input.watch) return { by: `watchdog job ${self ?? "?"} on ${node}`, ending: null, self };
  if (input.ending !== null)
    return { by: `segment job ${input.ending}, ending, on ${node}`, ending: input.ending, self };
  return { by: `rv lease supervise on ${env.host}`, ending: null, self };
}

/** A wake-up job at the backoff's end, so that the lease is tried again with nobody looking. */
async function leaveWakeUp(
  env: OpEnv,
  look: SlurmLeaseLook,
  supervisor: Supervisor,
  untilEpoch: number,
): Promise<SlurmLeaseLook> {
  const lease: SlurmLease = look.lease;
  const p = leasePaths(env.root, lease.id);
  if (await supervisorComing(env.remote, lease.id, env.user, supervisor.self)) return look;
  const inSeconds = Math.max(0, untilEpoch - Math.floor(env.now().getTime() / 1000));
  const last = look.segments.at(-1);
  const of = last ? { segment: last.segment.n } : { race: readLatestRace(p)?.attempt ?? 1 };
  const files = watchdogFiles(p, of, "wake");
  const wake = await submitWatchdog(env.remote, env.root, lease, { kind: "begin", inSeconds }, files);
  const at = new Date(untilEpoch * 1000).toISOString();
  const did =
    "jobId" in wake ? `left wake-up job ${wake.jobId} for ${at}` : `could not leave a wake-up: ${wake.refused}`;
  journal(p, supervisor.by, did, env.now());
  return look;
}

/**
 * A reader's look at a Slurm lease (`rv lease show`, the TUI): read only, unless an act has been due for too
 * long (its watchdog could not run), when the reader nudges: it supervises once, as `who` on this host.
 */
export async function observeSlurmLease(
  env: OpEnv,
  id: string,
  options: { alloc: boolean; who: string },
): Promise<SlurmLeaseLook> {
  const look = await lookAtSlurmLease(env, id, options);
  if (!isOverdue(look.due, Math.floor(env.now().getTime() / 1000))) return look;
  const by = `${options.who} on ${env.host}, nudging`;
  return superviseSettled(env, id, { by, ending: null, self: null }, { stayMs: 0, alloc: options.alloc });
}
