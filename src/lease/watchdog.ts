/**
 * Watchdog jobs: how a lease heals with nobody looking (docs/healing.md).
 *
 * Every segment job is submitted with a small companion job that depends on it with `afternotok` and
 * `--kill-on-invalid-dep=yes`. A segment that ends badly (cancelled, its node failed, preempted, out of memory,
 * past its time limit) satisfies the dependency: Slurm starts the watchdog at once (0.3 s on Slurm 22.05), and
 * it runs `rv lease supervise --watch`. A segment that ends well makes the dependency impossible and Slurm
 * cancels the watchdog: a healthy segment costs one submission and nothing that runs. A race has one watchdog
 * for all its jobs (`afterany`), cancelled by the winner's claim. A supervisor that must wait out a backoff and
 * cannot stay leaves a wake-up (`--begin`). Every watchdog of a lease has one job name, so a release finds and
 * cancels them all, even one whose id never reached a record.
 */
import { writeFileSync } from "node:fs";
import { deferred } from "../deferred.ts";
import { LeaseIdSchema, type LeasePaths, raceFile, type SlurmLease, segmentFile } from "../fsqueue/index.ts";
import type { Remote } from "../remote/index.ts";
import { shQuote } from "../remote/quote.ts";
import { runQuery, sbatchSubmit, scancelJobs, squeueJobs } from "../slurm/index.ts";
import { z } from "../zod.ts";
import { absolutePath, checkScriptInput, outputPath, plainWord } from "./script.ts";

/** Long enough to wait out the longest backoff (lease/retry.ts) and act after it. */
export const WATCHDOG_SECONDS = 15 * 60;

const jobId = z.string().check(z.regex(/^\d+$/, "must be a Slurm job id"));

export const WakeSchema = deferred(() =>
  z.discriminatedUnion("kind", [
    /** When any of the jobs ends badly: a segment's watchdog. */
    z.object({ kind: z.literal("afternotok"), jobs: z.array(jobId).check(z.minLength(1)) }),
    /** When all of the jobs have ended: a race's watchdog (the winner cancels it when it claims the lease). */
    z.object({ kind: z.literal("afterany"), jobs: z.array(jobId).check(z.minLength(1)) }),
    /** At a time, in seconds from now: a wake-up after a backoff. */
    z.object({ kind: z.literal("begin"), inSeconds: z.int().check(z.nonnegative()) }),
  ]),
);
export type Wake = z.infer<typeof WakeSchema>;

const WatchdogScriptInputSchema = deferred(() =>
  z.object({
    lease: LeaseIdSchema,
    root: absolutePath,
    rv: absolutePath,
    /** null: Slurm's default partition. */
    partition: z.nullable(plainWord),
    account: z.nullable(plainWord),
    output: outputPath,
    wake: WakeSchema,
  }),
);
export type WatchdogScriptInput = z.input<typeof WatchdogScriptInputSchema>;

/** Every watchdog of the lease has this name: `squeue -n` finds them all. */
export function watchdogJobName(lease: string): string {
  return `rv-${lease}-watch`;
}

/** The watchdog's batch script: one CPU, a little memory, and `rv lease supervise --watch` once it wakes. */
export function renderWatchdogScript(input: WatchdogScriptInput): string {
  const w = checkScriptInput(WatchdogScriptInputSchema, input, "lease watchdog script");
  const directives = [
    `--job-name=${shQuote(watchdogJobName(w.lease))}`,
    ...(w.partition === null ? [] : [`--partition=${shQuote(w.partition)}`]),
    ...(w.account === null ? [] : [`--account=${shQuote(w.account)}`]),
    "--nodes=1",
    "--ntasks=1",
    "--cpus-per-task=1",
    "--mem=512M",
    `--time=${Math.ceil(WATCHDOG_SECONDS / 60)}`,
    `--output=${shQuote(w.output)}`,
    "--open-mode=append",
    ...wakeDirectives(w.wake),
    "--no-requeue",
  ];
  return [
    "#!/bin/bash",
    ...directives.map((d) => `#SBATCH ${d}`),
    "set -u",
    `export RV_HOME=${shQuote(w.root)}`,
    `exec ${shQuote(w.rv)} lease supervise ${shQuote(w.lease)} --watch </dev/null`,
    "",
  ].join("\n");
}

function wakeDirectives(wake: Wake): string[] {
  if (wake.kind === "begin") return [`--begin=now+${wake.inSeconds}`];
  return [`--dependency=${wake.kind}:${wake.jobs.join(":")}`, "--kill-on-invalid-dep=yes"];
}

/**
 * Where a watchdog's script and Slurm output are kept: beside the segment it watches (`segments/<n>.watch.sh`,
 * `.watch.out`), or beside the race attempt (`alloc/<attempt>/watch.sh`, `.out`); a wake-up's as `wake.*`.
 */
export function watchdogFiles(
  p: LeasePaths,
  of: { segment: number } | { race: number },
  kind: "watch" | "wake" = "watch",
): { script: string; output: string } {
  if ("race" in of) return { script: raceFile(p, of.race, `${kind}.sh`), output: raceFile(p, of.race, `${kind}.out`) };
  return { script: segmentFile(p, of.segment, `${kind}.sh`), output: segmentFile(p, of.segment, `${kind}.out`) };
}

/**
 * Whether another supervisor of the lease will look again by itself: a watchdog running now (it stays through
 * backoffs) or a wake-up waiting for its time. `self` is the caller's own job.
 */
export async function supervisorComing(remote: Remote, lease: string, user: string, self: string | null) {
  const named = await runQuery(remote, squeueJobs({ user, names: [watchdogJobName(lease)] }));
  return named.records.some(
    (j) =>
      j.jobId !== self && (j.state?.kind === "running" || (j.state?.kind === "pending" && j.reason === "BeginTime")),
  );
}

/** A watchdog submitted, or Slurm's refusal (the lease goes on without it: observers still nudge it). */
export type Watchdog = { jobId: string } | { refused: string };

/**
 * Submits a watchdog for `lease`; the script is kept at `files.script`. Never throws: a lease without a
 * watchdog still runs (a reader nudges it), and `rv lease show` says why it is unwatched.
 */
export async function submitWatchdog(
  remote: Remote,
  root: string,
  lease: SlurmLease,
  wake: Wake,
  files: { script: string; output: string },
): Promise<Watchdog> {
  try {
    const script = renderWatchdogScript({
      lease: lease.id,
      root,
      rv: lease.rv,
      partition: lease.request.watchdogPartition ?? null,
      account: lease.request.account,
      output: files.output,
      wake,
    });
    writeFileSync(files.script, script, { mode: 0o600 });
    const outcome = await runQuery(remote, sbatchSubmit([], script));
    return outcome.ok ? { jobId: outcome.jobId } : { refused: outcome.error.message };
  } catch (error) {
    return { refused: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Cancels the lease's watchdogs, queued or running, but those `except` names (the caller's own job, those of
 * segments that keep theirs). Returns those Slurm took.
 */
export async function cancelWatchdogs(
  remote: Remote,
  lease: string,
  user: string,
  except: readonly (string | null)[],
): Promise<string[]> {
  const named = await runQuery(remote, squeueJobs({ user, names: [watchdogJobName(lease)] }));
  const ids = named.records.map((j) => j.jobId).filter((id) => !except.includes(id));
  if (ids.length === 0) return [];
  return (await runQuery(remote, scancelJobs(ids))).signalled;
}
