/**
 * Slurm for rv. Pure parsers of what sbatch, squeue, sinfo, sacct, sshare and scontrol print (parse/), and typed
 * queries (queries/): each a command plus a pure reader of its result, run through a Remote, many in one round trip
 * (query.ts). Other modules import this file, except where a command's start-up must evaluate only what it runs
 * (docs/benchmarks.md (h)).
 */

export * from "./parse/gres.ts";
export * from "./parse/hostlist.ts";
export { type ParseIssue, ParseIssueSchema, type Records, type Result } from "./parse/issues.ts";
export * from "./parse/job-state.ts";
export * from "./parse/node-state.ts";
export * from "./parse/sacct.ts";
export * from "./parse/sbatch.ts";
export * from "./parse/scontrol.ts";
export * from "./parse/scontrol-kv.ts";
export * from "./parse/sinfo.ts";
export * from "./parse/squeue.ts";
export * from "./parse/squeue-json.ts";
export * from "./parse/sshare.ts";
export * from "./parse/time.ts";
export * from "./parse/tres.ts";
export * from "./queries/job-status.ts";
export * from "./queries/sacct.ts";
export * from "./queries/sbatch.ts";
export * from "./queries/scancel.ts";
export * from "./queries/scontrol.ts";
export * from "./queries/sinfo.ts";
export * from "./queries/squeue.ts";
export * from "./queries/sshare.ts";
export * from "./query.ts";
export * from "./resources.ts";
