import type { Command } from "commander";
import { type Dispatch, withJson, withSlurmLeaseFlags } from "./flags.ts";

/** Leases: hold GPUs (here or on the cluster), look at them, let them go; and what a segment's script runs. */
export function addLeaseVerbs(program: Command, dispatch: Dispatch): void {
  withJson(
    withSlurmLeaseFlags(
      program
        .command("up")
        .description("hold GPUs on the cluster, then open a shell on the node (the lease outlives the shell)")
        .option("--name <name>", "lease name (default: a generated one)")
        .option("--cpus <n>", "CPUs in all (split over the nodes)"),
    )
      .option("--no-shell", "do not open a shell: return once the runner is up")
      .option("--run <command>", "run this shell command in the lease with all its GPUs, then release it"),
  ).action((opts) =>
    dispatch(opts.json, async (ctx) =>
      opts.run === undefined
        ? (await import("../commands/lease/up-slurm.ts")).runUp(ctx, opts)
        : (await import("../commands/own-lease.ts")).runUpAndRun(ctx, opts, opts.run),
    ),
  );

  const lease = program.command("lease").description("hold resources: start, list, inspect and release leases");
  withJson(
    withSlurmLeaseFlags(
      lease
        .command("up")
        .description(
          "start a lease: on the cluster when one is configured (rv chooses how to ask), or on this machine (--local)",
        )
        .option("--local", "a lease on this machine (the default while no cluster is configured)")
        .option("--name <name>", "lease name (default: local, or a generated one on the cluster)")
        .option("--gpu-ids <ids>", "local: GPU ids the runner may use, e.g. 0,1,2,3 (default: detected)")
        .option("--cpus <n>", "CPUs the runner may use (on the cluster: in all, split over the nodes)"),
    ),
  ).action((opts) =>
    dispatch(opts.json, async (ctx) => (await import("../commands/lease/up.ts")).runLeaseUp(ctx, opts)),
  );
  withJson(
    lease
      .command("renew")
      .description("submit a Slurm lease's next segment (run by the segment's batch script)")
      .requiredOption("--lease <lease>", "the lease")
      .requiredOption("--after <job>", "the running segment's Slurm job id")
      .option("--segment-end <epoch-seconds>", "when the running segment's job ends (default: its walltime from now)"),
  ).action((opts) =>
    dispatch(opts.json, async (ctx) => (await import("../commands/lease/segment-side.ts")).runLeaseRenew(ctx, opts)),
  );
  withJson(
    lease
      .command("claim")
      .description("claim a racing Slurm lease for this job, or learn it lost (run by segment 0's batch script)")
      .requiredOption("--lease <lease>", "the lease")
      .requiredOption("--attempt <n>", "the race attempt")
      .requiredOption("--rank <n>", "this job's strategy's rank")
      .option("--part <n>", "in a race of shapes, which part of its shape this job is (default 0)")
      .requiredOption("--job <job>", "this job's Slurm job id")
      .option("--segment-end <epoch-seconds>", "when this job ends, as Slurm granted it"),
  ).action((opts) =>
    dispatch(opts.json, async (ctx) => (await import("../commands/lease/segment-side.ts")).runLeaseClaim(ctx, opts)),
  );
  withJson(
    lease
      .command("end-segment")
      .description("tell a segment's runners that its job ends soon (run by the segment's batch script)")
      .requiredOption("--lease <lease>", "the lease")
      .requiredOption("--segment <n>", "the segment"),
  ).action((opts) =>
    dispatch(opts.json, async (ctx) =>
      (await import("../commands/lease/segment-side.ts")).runLeaseEndSegment(ctx, opts),
    ),
  );
  withJson(
    lease
      .command("supervise")
      .description("cluster: heal a Slurm lease now, as its watchdog would (watchdogs and segments run this)")
      .argument("<lease>", "lease name")
      .option("--ending <job>", "run by a segment as its last act: its own job counts as ended")
      .option("--watch", "run by a watchdog job: stay while the lease waits out a backoff"),
  ).action((id: string, opts) =>
    dispatch(opts.json, async (ctx) =>
      (await import("../commands/lease/segment-side.ts")).runLeaseSupervise(ctx, id, opts),
    ),
  );
  withJson(lease.command("ls").description("list leases")).action((opts) =>
    dispatch(opts.json, async (ctx) => (await import("../commands/lease/ls.ts")).runLeaseLs(ctx)),
  );
  withJson(
    lease
      .command("why")
      .description(
        "cluster: why a lease has no GPUs yet (or waits for its next segment), in Slurm's words and plain ones",
      )
      .argument("<lease>", "lease name"),
  ).action((id: string, opts) =>
    dispatch(opts.json, async (ctx) => (await import("../commands/lease/why.ts")).runLeaseWhy(ctx, id)),
  );
  withJson(
    lease
      .command("show")
      .description("a lease in detail")
      .argument("<lease>", "lease name")
      .option("--alloc", "cluster: the allocator's decision, and each racing job's script and Slurm output"),
  ).action((id: string, opts) =>
    dispatch(opts.json, async (ctx) => (await import("../commands/lease/show.ts")).runLeaseShow(ctx, id, opts)),
  );
  withJson(
    lease
      .command("release")
      .description("release a lease: drain (default) or stop now; queued tasks stay in its inbox")
      .argument("[lease]", "lease name")
      .option("--all", "every active lease")
      .option("--now", "stop running tasks now and put them back in the inbox")
      .option("--wait", "return only when the runners have exited (on the cluster: and its jobs have ended)")
      .option("--dry-run", "say what would be released, do nothing"),
  ).action((id: string | undefined, opts) =>
    dispatch(opts.json, async (ctx) => (await import("../commands/lease/release.ts")).runLeaseRelease(ctx, id, opts)),
  );
  withJson(
    lease
      .command("rm")
      .description("remove released leases: their directories go, with their tasks' records and logs")
      .argument("<lease...>", "lease names")
      .option("--dry-run", "say what would go, remove nothing"),
  ).action((ids: string[], opts) =>
    dispatch(opts.json, async (ctx) => (await import("../commands/lease/rm.ts")).runLeaseRm(ctx, ids, opts)),
  );
  withJson(
    lease
      .command("resume")
      .description("cluster: ask Slurm again for a lease paused after too many failures in a row")
      .argument("<lease>", "lease name"),
  ).action((id: string, opts) =>
    dispatch(opts.json, async (ctx) => (await import("../commands/lease/resume.ts")).runLeaseResume(ctx, id)),
  );
  withJson(
    lease
      .command("extend")
      .description("add time to a Slurm lease: its segments renew for longer")
      .argument("<lease>", "lease name")
      .requiredOption("--time <walltime>", "how much longer to hold it, e.g. 2h"),
  ).action((id: string, opts) =>
    dispatch(opts.json, async (ctx) => (await import("../commands/lease/extend.ts")).runLeaseExtend(ctx, id, opts)),
  );
}
