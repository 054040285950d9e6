import { deferred } from "../deferred.ts";
import { RvError } from "../errors.ts";
import {
  type Lease,
  type LeasePaths,
  leasePaths,
  newRunnerId,
  readHeartbeats,
  requestControl,
} from "../fsqueue/index.ts";
import {
  cancelLosers,
  cancelWatchdogs,
  listLeases,
  readClaim,
  readLatestRace,
  readSegments,
  requireLease,
  superviseSlurmLease,
  updateLease,
} from "../lease/index.ts";
import { pidAlive } from "../runner/index.ts";
import { holdsAllocation, isFinished, jobStatus, runQuery, scancelJobs } from "../slurm/index.ts";
import { z } from "../zod.ts";
import { warnOfBadLease } from "./bad-leases.ts";
import { tellFromOp } from "./lease-notices.ts";
import { isLeaseLive } from "./observer.ts";
import { defineOp, type OpEnv } from "./op.ts";
import { pause } from "./pause.ts";

/** How long `--now` lets a Slurm lease's runners put their tasks back before their job is cancelled under them. */
const STOP_WAIT_MS = 15_000;
const WAIT_POLL_MS = 2000;

/**
 * `rv lease release`: the record says released (so no segment renews it) and the runners are told to drain
 * (finish their tasks, then exit) or, with `now`, to stop (their tasks go back to the inbox). A Slurm lease's
 * queued segments and leftover racers are cancelled at once; with `now`, its running job too, once its runners
 * have put their tasks back. Queued tasks stay in the inbox either way. `wait`: until the runners have exited
 * (and a Slurm lease's jobs have ended).
 */
export const leaseReleaseOp = defineOp({
  name: "lease-release",
  input: deferred(() =>
    z.object({
      leases: z._default(z.array(z.string()), []),
      /** Every active lease of this place. */
      all: z._default(z.boolean(), false),
      now: z._default(z.boolean(), false),
      wait: z._default(z.boolean(), false),
      dryRun: z._default(z.boolean(), false),
    }),
  ),
  result: deferred(() =>
    z.object({
      mode: z.enum(["drain", "stop"]),
      dryRun: z.boolean(),
      leases: z.array(z.object({ id: z.string(), kind: z.enum(["local", "slurm"]), cancelled: z.array(z.string()) })),
    }),
  ),
  async run(env, input) {
    const leases = input.all
      ? listLeases(env.root, warnOfBadLease(env)).filter((l) => l.state === "active")
      : input.leases.map((id) => requireLease(env.root, id));
    const mode = input.now ? ("stop" as const) : ("drain" as const);
    const released = [];
    for (const lease of leases) {
      const cancelled = input.dryRun ? [] : await release(env, lease, mode);
      released.push({ id: lease.id, kind: lease.kind, cancelled });
      // A lease with a live runner is told ended by its runners as they leave; one without ends here.
      if (!input.dryRun && !isLeaseLive(env, lease)) {
        await tellFromOp(env, { kind: "lease-ended", lease: lease.id, ended: "released" });
      }
    }
    if (input.wait && !input.dryRun) for (const lease of leases) await untilGone(env, lease);
    return { mode, dryRun: input.dryRun, leases: released };
  },
});

async function release(env: OpEnv, lease: Lease, mode: "drain" | "stop"): Promise<string[]> {
  const p = leasePaths(env.root, lease.id);
  updateLease(env.root, lease.id, (now) => ({ ...now, state: "released" }));
  requestControl(p, "lease", mode, newRunnerId(`release-${env.host}`, process.pid), env.now());
  return lease.kind === "slurm" ? cancelJobs(env, lease, mode) : [];
}

/**
 * The jobs Slurm was asked to end: the lease's watchdogs (first: a segment's cancellation would wake its
 * watchdog), queued segments, racers left, and with `stop` the running segment.
 */
async function cancelJobs(env: OpEnv, lease: Lease, mode: "drain" | "stop"): Promise<string[]> {
  const p = leasePaths(env.root, lease.id);
  const watchdogs = await cancelWatchdogs(env.remote, lease.id, env.user, []);
  const segmentJobs = readSegments(p).map((s) => s.jobId);
  const jobs = await jobStatus(env.remote, segmentJobs);
  const pending = jobs.filter((j) => j.state?.kind === "pending").map((j) => j.jobId);
  const running = jobs.filter((j) => j.state && holdsAllocation(j.state.kind)).map((j) => j.jobId);
  if (mode === "stop") await runnersExited(p, STOP_WAIT_MS);
  const toCancel = mode === "stop" ? [...pending, ...running] : pending;
  if (toCancel.length) await runQuery(env.remote, scancelJobs(toCancel));
  const race = readLatestRace(p);
  const racers = race ? await cancelLosers(env.remote, race, readClaim(p), env.user, segmentJobs) : [];
  return [...watchdogs, ...toCancel, ...racers];
}

async function runnersExited(p: LeasePaths, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // The release is under way: a caller that hangs up does not cut this wait short (the job must not be cancelled
  // under runners still putting their tasks back).
  while (Date.now() < deadline && readHeartbeats(p).some((hb) => hb.state !== "exited")) await pause(200);
}

/**
 * Until no runner of the lease is live and those on this host have really exited (a runner writes its last
 * heartbeat a moment before its process ends; only recent heartbeats count: an old one's pid may be another
 * process's by now); for a Slurm lease, until Slurm holds no job of it (a draining runner ends its job when its
 * last task ends). Each look at a Slurm lease cancels what is still queued of it.
 */
async function untilGone(env: OpEnv, lease: Lease): Promise<void> {
  const p = leasePaths(env.root, lease.id);
  const exiting = () =>
    readHeartbeats(p).some(
      (hb) =>
        hb.host === env.host && Date.now() - Date.parse(hb.time) < env.config.runner.staleAfterMs && pidAlive(hb.pid),
    );
  let said = "";
  for (;;) {
    const alive = lease.kind === "slurm" ? await aliveJobs(env, lease.id) : [];
    if (alive.length === 0 && !isLeaseLive(env, lease) && !exiting()) return;
    const line = alive.length
      ? `waiting for job ${alive.join(", ")} of lease ${lease.id} to end`
      : `waiting for the runners of lease ${lease.id} to exit`;
    if (line !== said) env.sink.note(line);
    said = line;
    if (env.signal.aborted) throw new RvError("timeout", `stopped waiting: ${line}`);
    await pause(lease.kind === "slurm" ? WAIT_POLL_MS : 100, env.signal);
  }
}

async function aliveJobs(env: OpEnv, id: string): Promise<string[]> {
  // Supervised, not only read: what a renewal or a supervisor submitted as the release came is cancelled too.
  const look = await superviseSlurmLease(env, id, { by: `rv lease release on ${env.host}`, ending: null, self: null });
  return [
    ...look.segments.filter(({ job }) => job.state !== null && !isFinished(job.state.kind)).map((s) => s.segment.jobId),
    ...(look.race ?? []).filter((r) => r.state === "pending" || r.state === "starting").flatMap((r) => r.jobId ?? []),
  ];
}
