/**
 * The batch script of one lease segment (DESIGN.md section 5), from one pure function.
 *
 * Directives, and why:
 * - `--nodes`, `--ntasks-per-node=1`, `--gres=gpu[:type]:N` (none for a CPU-only lease), `--cpus-per-task`, `--mem`: the resources are per
 *   node, and one runner per node owns them all (so `--cpus-per-task` is the node's CPUs for rv).
 * - `--partition=a,b` (a lease of parts spread over partitions) is a multi-partition job: Slurm starts it in
 *   whichever can start it first, and its GRES is untyped.
 * - `--time` in whole minutes (Slurm rounds up anyway); `--time-min` lets the scheduler shorten the job to fit a
 *   backfill hole, which is why the script asks squeue for the real end instead of assuming start + walltime.
 * - `--signal=B:USR1@lead`: only the batch shell gets it, 0-60 s earlier than `lead` (notes section 6).
 * - `--output` + `--open-mode=append`: the log is never truncated, whoever wrote to it first.
 * - `--no-requeue`: a requeued segment would run a second runner on a stale segment; the lease renews instead.
 *
 * The body runs under `set -u` but not `-e`: a misspelt variable fails loudly, while a failing side command
 * (lease renew, lease end-segment) is logged and the segment goes on.
 *
 * Quoting: every string is quoted by shQuote, both in the body (parsed by bash) and in `#SBATCH` lines (parsed
 * by sbatch, whose tokenizer strips '...' quotes and the '\'' sequence like bash does, but also treats a
 * backslash inside quotes as an escape). So names that reach `#SBATCH` lines must be plain words, the output
 * path may hold neither a backslash nor `%` (Slurm's filename patterns), and no string may hold a control
 * character: a newline could otherwise start a directive or a shell line of its own.
 *
 * The signal path: bash runs a trap only when the foreground command returns, so the runner step runs as
 * `srun ... &` and the script `wait`s for it in a loop (each trap ends one `wait`). Slurm's USR1 reaches only
 * the batch shell (`B:`); its trap runs `rv lease end-segment`, which leaves `control/segment-<n>.end` in the
 * lease, and the runners of this segment on every node act on it through the shared filesystem. Not a signal:
 * `scancel --signal` reaches every process of the step, tasks included (a task without a USR1 handler would
 * die of it), and `kill` to srun kills srun when it comes early and makes it SIGKILL its tasks on TERM (both
 * verified on Slurm 22.05). A USR1 before the runner exists is not lost: the control file waits for it.
 * At the time limit or on a plain scancel, Slurm itself sends TERM to every step and SIGKILL after KillWait;
 * the TERM trap only keeps the shell alive to log the runner's exit status and supervise (below).
 *
 * Supervision (docs/healing.md): the script's last act is `rv lease supervise --ending` this job, which acts
 * as if this job had ended already: it may begin a waiting successor now or replace a missing one. A job
 * that cannot get that far (killed, its node lost) is covered by its watchdog job (lease/watchdog.ts).
 *
 * The race (segment 0 of a lease the allocator asked for several ways): the first thing a started job does is
 * `rv lease claim`. The job that claims the lease goes on; one that lost (another strategy's job claimed it, or
 * the lease was released) exits 0 at once, before it renews anything or starts a runner.
 *
 * Renewal runs at the start, in the background: `rv lease renew` plans the next segment from the granted end
 * (chain: afterany this job; overlap: `--begin` shortly before this job's end). Under overlap, the next
 * segment's runners are started with `--take-over-from` this segment, and once they beat, this segment's
 * runners drain and exit, which ends this job before its time.
 */

import { RvError } from "../errors.ts";
import { LeaseIdSchema } from "../fsqueue/index.ts";
import { shQuote } from "../remote/quote.ts";
import { formatDuration } from "../slurm/index.ts";
import { z } from "../zod.ts";

export const plainWord = z
  .string()
  .check(
    z.regex(
      /^[A-Za-z0-9][A-Za-z0-9._+-]*$/,
      "use letters, digits, '.', '_', '+' and '-', starting with a letter or digit",
    ),
  );
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what it rejects
const noControlCharacters = /^[^\u0000-\u001f\u007f]*$/;
export const absolutePath = z
  .string()
  .check(z.regex(/^\//, "must be an absolute path"))
  .check(z.regex(noControlCharacters, "must not contain a newline or another control character"));
/** `--partition`: one partition, or several separated by commas (a multi-partition job: a lease of parts spread). */
const partitionList = z
  .string()
  .check(
    z.regex(
      /^[A-Za-z0-9][A-Za-z0-9._+-]*(,[A-Za-z0-9][A-Za-z0-9._+-]*)*$/,
      "use partition names of letters, digits, '.', '_', '+' and '-', separated by commas",
    ),
  );
const seconds = z.int().check(z.positive());
/** Slurm's `--output`: no backslash, no `%` (its filename patterns). */
export const outputPath = absolutePath.check(
  z.regex(/^[^\\%]*$/, "must not contain '\\' or '%' (sbatch would read them as escapes)"),
);

export const SegmentScriptInputSchema = z
  .object({
    lease: LeaseIdSchema,
    segment: z.int().check(z.nonnegative()),
    /** The rv root on the shared filesystem (RV_HOME of the runner). */
    root: absolutePath,
    /** The deployed rv build that runs on the compute node. */
    rv: absolutePath,
    partition: partitionList,
    /** 0: a CPU-only lease, with no --gres at all. */
    gpusPerNode: z.int().check(z.nonnegative()),
    /** null: any GPU type the partition has. */
    gpuType: z.nullable(plainWord),
    nodes: z.int().check(z.positive()),
    /** null: Slurm's default. */
    cpusPerNode: z.nullable(z.int().check(z.positive())),
    /** Slurm's `--mem` per node, e.g. "32G"; null: Slurm's default. */
    memPerNode: z.nullable(
      z.string().check(z.regex(/^\d+[KMGT]?$/, "use a number with an optional K, M, G or T suffix, e.g. 32G")),
    ),
    wallSeconds: seconds,
    timeMinSeconds: z.optional(seconds),
    account: z.nullable(plainWord),
    /** How long before the end the batch shell gets USR1. Slurm may deliver it up to 60 s earlier still. */
    signalLeadSeconds: z._default(z.int().check(z.nonnegative(), z.lte(65535)), 90),
    jobName: plainWord,
    output: outputPath,
    /** Whether the segment asks rv to submit the next segment as soon as it starts. */
    renew: z.boolean(),
    /**
     * The segment whose runners this one's take over from when they start (overlap renewal): they stop
     * claiming, finish what they run and exit, so the older job ends early. null: none (chain, first segment).
     */
    takeOverFrom: z._default(z.nullable(z.int().check(z.nonnegative())), null),
    /**
     * Segment 0 raced against other strategies (DESIGN.md section 6): before anything else the job claims the
     * lease (`rv lease claim`) and exits at once if another strategy's job claimed it first. null: no race.
     */
    race: z._default(
      z.nullable(
        z.object({
          attempt: z.int().check(z.positive()),
          rank: z.int().check(z.positive()),
          /** In a race of shapes, the part of its shape the job is (its segment number too). */
          part: z._default(z.int().check(z.nonnegative()), 0),
        }),
      ),
      null,
    ),
    /** The runner releases the lease after this long with nothing to do (`rv runner --idle-release`); null: never. */
    idleReleaseSeconds: z._default(z.nullable(seconds), null),
  })
  .check(
    z.refine((i) => i.timeMinSeconds === undefined || i.timeMinSeconds <= i.wallSeconds, {
      path: ["timeMinSeconds"],
      message: "must not exceed wallSeconds",
    }),
  );

export type SegmentScriptInput = z.input<typeof SegmentScriptInputSchema>;
type Segment = z.output<typeof SegmentScriptInputSchema>;

/** The bash script that holds one segment of a lease: directives, then the body that runs one runner per node. */
export function renderSegmentScript(input: SegmentScriptInput): string {
  const segment = checkScriptInput(SegmentScriptInputSchema, input, "lease segment script");
  return ["#!/bin/bash", ...directives(segment).map((d) => `#SBATCH ${d}`), ...body(segment), ""].join("\n");
}

/** A batch script's input, checked: a value sbatch or bash would read back changed is refused, naming the field. */
export function checkScriptInput<S extends z.ZodMiniType>(schema: S, input: z.input<S>, what: string): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.join(".") || "input";
  throw new RvError("usage", `${what}: ${field}: ${issue?.message}`, {
    hint: `change ${field}: #SBATCH lines are read by sbatch and the body by bash, so rv accepts only values both read back unchanged`,
  });
}

/** Slurm counts time limits in whole minutes and rounds a partial minute up. */
function wholeMinutes(s: number): number {
  return Math.ceil(s / 60) * 60;
}

function directives(s: Segment): string[] {
  const gres = s.gpuType === null ? `gpu:${s.gpusPerNode}` : `gpu:${s.gpuType}:${s.gpusPerNode}`;
  if (s.gpusPerNode === 0 && s.gpuType !== null) {
    throw new RvError("usage", `lease segment script: gpuType: ${s.gpuType} was asked with no GPU`, {
      hint: "ask for at least one GPU with --gpu, or leave --gpu-type out",
    });
  }
  return [
    `--job-name=${shQuote(s.jobName)}`,
    `--partition=${shQuote(s.partition)}`,
    ...(s.account === null ? [] : [`--account=${shQuote(s.account)}`]),
    `--nodes=${s.nodes}`,
    "--ntasks-per-node=1",
    ...(s.gpusPerNode === 0 ? [] : [`--gres=${shQuote(gres)}`]),
    ...(s.cpusPerNode === null ? [] : [`--cpus-per-task=${s.cpusPerNode}`]),
    ...(s.memPerNode === null ? [] : [`--mem=${shQuote(s.memPerNode)}`]),
    `--time=${formatDuration(wholeMinutes(s.wallSeconds))}`,
    ...(s.timeMinSeconds === undefined ? [] : [`--time-min=${formatDuration(wholeMinutes(s.timeMinSeconds))}`]),
    `--output=${shQuote(s.output)}`,
    "--open-mode=append",
    `--signal=B:USR1@${s.signalLeadSeconds}`,
    "--no-requeue",
  ];
}

function body(s: Segment): string[] {
  return [
    "set -u",
    `RV=${shQuote(s.rv)}`,
    `export RV_HOME=${shQuote(s.root)}`,
    `export RV_LEASE=${shQuote(s.lease)}`,
    `export RV_SEGMENT=${s.segment}`,
    'log() { printf \'%s rv segment %s of lease %s: %s\\n\' "$(date +%FT%T%z)" "$RV_SEGMENT" "$RV_LEASE" "$*"; }',
    ...segmentEnd(wholeMinutes(s.wallSeconds)),
    ...(s.race ? claim(s.race) : []),
    ...(s.renew ? renewal() : []),
    ...runnerStep(s),
  ];
}

/** The granted end, which --time-min may have moved earlier than start + walltime. */
function segmentEnd(wallSeconds: number): string[] {
  return [
    "started_at=$(date +%s)",
    'RV_SEGMENT_END=$(SLURM_TIME_FORMAT=%s squeue -h -j "$SLURM_JOB_ID" -o %e 2>/dev/null)',
    'case "$RV_SEGMENT_END" in',
    `  '' | *[!0-9]*) RV_SEGMENT_END=$((started_at + ${wallSeconds})); log "squeue gave no end time: assuming start + walltime" ;;`,
    "esac",
    "export RV_SEGMENT_END",
  ];
}

/** A job that lost the race ends here, before it renews or starts a runner: its siblings' GPUs are the lease's. */
function claim(race: NonNullable<Segment["race"]>): string[] {
  return [
    `"$RV" lease claim --lease "$RV_LEASE" --attempt ${race.attempt} --rank ${race.rank}${race.part > 0 ? ` --part ${race.part}` : ""} --job "$SLURM_JOB_ID" --segment-end "$RV_SEGMENT_END" </dev/null`,
    "claim_status=$?",
    'if [ "$claim_status" -ne 0 ]; then log "this job does not hold the lease (rv lease claim: status $claim_status): exiting"; exit 0; fi',
  ];
}

/** In the background, so that a slow or failing renewal neither delays nor ends this segment. */
function renewal(): string[] {
  return [
    "renew_lease() {",
    '  "$RV" lease renew --lease "$RV_LEASE" --after "$SLURM_JOB_ID" --segment-end "$RV_SEGMENT_END" </dev/null',
    "  local status=$?",
    '  [ "$status" -eq 0 ] || log "rv lease renew failed with status $status: this segment goes on without a successor"',
    "}",
    "renew_lease &",
    "renew_pid=$!",
  ];
}

function runnerStep(s: Segment): string[] {
  const idleRelease = s.idleReleaseSeconds === null ? "" : ` --idle-release ${s.idleReleaseSeconds}`;
  const takeOver = s.takeOverFrom === null ? "" : ` --take-over-from ${s.takeOverFrom}`;
  return [
    // Slurm's USR1 reaches only this shell (B:). The runners learn of it through the shared filesystem, on every
    // node: a signal sent through Slurm (scancel --signal) would also reach every task process of the step.
    "end_segment() {",
    '  log "got SIGUSR1: telling the runners that the segment ends"',
    '  "$RV" lease end-segment --lease "$RV_LEASE" --segment "$RV_SEGMENT" </dev/null || log "rv lease end-segment failed with status $?"',
    "}",
    // Installed before the runner starts: an untrapped USR1 would end the batch shell, and the job with it.
    "trap end_segment USR1",
    // At the time limit (or scancel) Slurm sends TERM to every process itself: the shell only lives on to log.
    "trap 'log \"got SIGTERM: the job is ending\"' TERM",
    `srun --ntasks-per-node=1 --overlap --kill-on-bad-exit=0 "$RV" runner --lease "$RV_LEASE" --segment "$RV_SEGMENT" --segment-end "$RV_SEGMENT_END"${takeOver}${idleRelease} &`,
    "runner_pid=$!",
    // Each trap ends one `wait`; bash keeps the exit status of a reaped child, so the last `wait` still has it.
    'while kill -0 "$runner_pid" 2>/dev/null; do wait "$runner_pid"; done',
    'wait "$runner_pid"',
    "runner_status=$?",
    'log "runner step ended with status $runner_status"',
    // A renewal still under way finishes first: the last act must see the successor it submits.
    ...(s.renew ? ['wait "$renew_pid" 2>/dev/null'] : []),
    // The segment's last act: a successor waiting for its begin time is told to begin now, a lease left with
    // nothing queued while time is left gets a replacement, a released lease's queued jobs are cancelled.
    '"$RV" lease supervise "$RV_LEASE" --ending "$SLURM_JOB_ID" </dev/null || log "rv lease supervise failed with status $?"',
    'exit "$runner_status"',
  ];
}
