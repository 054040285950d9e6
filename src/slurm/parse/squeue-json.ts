import { deferred } from "../../deferred.ts";
import { z } from "../../zod.ts";
import { parseGres } from "./gres.ts";
import { expandHostlist } from "./hostlist.ts";
import { issue, type ParseIssue, type Records } from "./issues.ts";
import type { JobStateKind } from "./job-state.ts";
import { parseJobState } from "./job-state.ts";
import type { SqueueJob } from "./squeue.ts";
import { type Duration, type Instant, instantFromEpoch } from "./time.ts";

/**
 * `squeue --json` (22.05: openapi v0.0.38): `{meta, errors, jobs}`, times in epoch seconds, `time_limit` in
 * minutes. It IGNORES every filter (-j, -t, -p, -u, --me) and lists all jobs slurmctld knows, finished ones
 * included (for MinJobAge): filter with `filterJobs`. Newer Slurm wraps numbers as `{set, infinite, number}`
 * and `job_state` as a list; both are read. Each job is checked alone: a bad one is skipped and reported.
 */
const Num = deferred(() =>
  z.union([
    z.number(),
    z.object({ set: z.optional(z.boolean()), infinite: z.optional(z.boolean()), number: z.optional(z.number()) }),
  ]),
);
type Num = z.infer<typeof Num>;

const JsonJobSchema = deferred(() =>
  z.looseObject({
    job_id: z.number(),
    array_job_id: z.nullish(Num),
    array_task_id: z.nullish(Num),
    array_task_string: z.nullish(z.string()),
    name: z.nullish(z.string()),
    user_name: z.nullish(z.string()),
    partition: z.nullish(z.string()),
    job_state: z.nullish(z.union([z.string(), z.array(z.string())])),
    start_time: z.nullish(Num),
    end_time: z.nullish(Num),
    time_limit: z.nullish(Num),
    nodes: z.nullish(z.string()),
    node_count: z.nullish(Num),
    state_reason: z.nullish(z.string()),
    tres_per_node: z.nullish(z.string()),
    gres_detail: z.nullish(z.array(z.string())),
  }),
);
type JsonJob = z.infer<typeof JsonJobSchema>;

const TopSchema = deferred(() =>
  z.looseObject({ jobs: z.array(z.unknown()), errors: z.nullish(z.array(z.unknown())) }),
);

export function parseSqueueJson(stdout: string): Records<SqueueJob> {
  const issues: ParseIssue[] = [];
  let top: z.infer<typeof TopSchema>;
  try {
    const parsed = TopSchema.safeParse(JSON.parse(stdout));
    if (!parsed.success) return { records: [], issues: [issue("top", stdout, "no jobs list", true)] };
    top = parsed.data;
  } catch (e) {
    return { records: [], issues: [issue("top", stdout, `not JSON: ${(e as Error).message}`, true)] };
  }
  for (const [i, error] of (top.errors ?? []).entries()) {
    issues.push(issue(`errors[${i}]`, JSON.stringify(error), "squeue reported an error", false));
  }
  const records: SqueueJob[] = [];
  for (const [i, raw] of top.jobs.entries()) {
    const job = JsonJobSchema.safeParse(raw);
    if (job.success) records.push(fromJson(job.data, issues, `jobs[${i}]`));
    else issues.push(issue(`jobs[${i}]`, JSON.stringify(raw), job.error.issues[0]?.message ?? "bad job", true));
  }
  return { records, issues };
}

function fromJson(j: JsonJob, issues: ParseIssue[], where: string): SqueueJob {
  const nodes = expandHostlist(j.nodes ?? "");
  if (!nodes.ok) issues.push(issue(where, j.nodes ?? "", nodes.reason, false));
  const state = Array.isArray(j.job_state) ? j.job_state.join(",") : (j.job_state ?? "");
  const reason = j.state_reason ?? null;
  return {
    ...jobIdOf(j),
    partition: j.partition || null,
    name: j.name ?? null,
    user: j.user_name ?? null,
    state: parseJobState(state),
    elapsed: null,
    timeLimit: minutesOf(j.time_limit),
    timeLeft: null,
    start: instantOf(j.start_time),
    end: instantOf(j.end_time),
    nodeCount: numberOf(j.node_count) ?? null,
    nodes: nodes.ok ? nodes.value : [],
    schedNodes: [],
    reason: reason === "None" || reason === "" ? null : reason,
    tresPerNode: parseGres(j.tres_per_node ?? ""),
    gresDetail: (j.gres_detail ?? []).flatMap(parseGres),
  };
}

function jobIdOf(j: JsonJob): Pick<SqueueJob, "jobId" | "baseJobId" | "arrayTask"> {
  const arrayJob = numberOf(j.array_job_id);
  const task = numberOf(j.array_task_id);
  if (arrayJob && task !== undefined && task < INFINITE32) {
    return { jobId: `${arrayJob}_${task}`, baseJobId: String(arrayJob), arrayTask: String(task) };
  }
  if (j.array_task_string) {
    const arrayTask = `[${j.array_task_string}]`;
    return { jobId: `${j.job_id}_${arrayTask}`, baseJobId: String(j.job_id), arrayTask };
  }
  return { jobId: String(j.job_id), baseJobId: String(j.job_id), arrayTask: null };
}

/** A plain number, or the number of a set `{set, number}`; undefined when unset or infinite. */
function numberOf(n: Num | null | undefined): number | undefined {
  if (typeof n === "number") return n;
  return n?.set === false || n?.infinite ? undefined : n?.number;
}

const INFINITE32 = 0xfffffffe; // INFINITE and NO_VAL as 32-bit numbers: "no limit"

function minutesOf(n: Num | null | undefined): Duration {
  if (typeof n === "object" && n?.infinite) return { kind: "unlimited" };
  const minutes = numberOf(n);
  if (minutes === undefined) return { kind: "none" };
  return minutes >= INFINITE32 ? { kind: "unlimited" } : { kind: "seconds", seconds: minutes * 60 };
}

function instantOf(n: Num | null | undefined): Instant {
  return instantFromEpoch(numberOf(n) ?? null);
}

/** What `squeue -j/-t/-p/-u/-n` would have kept. Ids match a job, an array task, or a whole array. */
export interface JobFilter {
  ids?: readonly string[];
  states?: readonly JobStateKind[];
  partitions?: readonly string[];
  users?: readonly string[];
  names?: readonly string[];
}

export function filterJobs<T extends SqueueJob>(jobs: readonly T[], f: JobFilter): T[] {
  const has = <V>(list: readonly V[] | undefined, v: V | null) => !list || (v !== null && list.includes(v));
  return jobs.filter(
    (j) =>
      (!f.ids || f.ids.includes(j.jobId) || f.ids.includes(j.baseJobId)) &&
      has(f.states, j.state.kind) &&
      has(f.partitions, j.partition) &&
      has(f.users, j.user) &&
      has(f.names, j.name),
  );
}
