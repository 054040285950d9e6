/**
 * Slurm for rv: pure parsers of what sbatch, squeue, sinfo, sacct, sshare and scontrol print (src/slurm/parse),
 * each a total function of the command's output to typed records (zod schemas; types inferred from them).
 * Nothing here runs a process. Other modules import only this file.
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
