import { Command, Option } from "commander";
import type { Config } from "../config/index.ts";
import type { Context } from "./context.ts";

/** Runs one command body with its context; the command's result is the process exit status. */
export type Dispatch = (json: boolean, body: (ctx: Context, config: Config) => Promise<number>) => Promise<void>;

const collect = (value: string, previous: string[]) => [...previous, value];

/** What a Slurm lease asks for: the flags `rv lease up` and `rv up` share. */
function withSlurmLeaseFlags(command: Command): Command {
  return command
    .option("--gpu <n>", "cluster: GPUs in all (default 1; 0 for a CPU-only lease)")
    .option("--type <types>", "cluster: GPU types to accept, e.g. a6000,a100_80 (default: any that fits)")
    .option("--vram <GB>", "cluster: the least GPU memory each GPU must have, in GB")
    .option("--partition <partition>", "cluster: only this partition (default: rv chooses)")
    .option("--nodes <n>", "cluster: nodes, one runner each (default: rv chooses)")
    .option("--mem <size>", "cluster: memory in all, e.g. 64G (split over the nodes)")
    .option("--time <walltime>", "cluster: how long to hold the lease in all, e.g. 24h (default: one segment)")
    .option("--segment <walltime>", "cluster: walltime of each segment job (default 2:59:00)")
    .addOption(
      new Option(
        "--renewal <policy>",
        "cluster: how a segment is followed: chain (after it) or overlap (before its end)",
      ).choices(["chain", "overlap"]),
    )
    .option("--overlap <duration>", "cluster: with --renewal overlap, how early the next segment may start (e.g. 10m)")
    .option("--account <account>", "cluster: the Slurm account (default: from rv init)")
    .option("--idle-release <duration>", "cluster: give the GPUs back after this long with no task (e.g. 30m)")
    .option(
      "--dry-run",
      "cluster: print the strategies, why each was kept or dropped, and their scripts; submit nothing",
    )
    .option("--detach", "cluster: return once the first segment is queued, without waiting for its runner");
}

/** What a task asks for: the flags `rv submit` and `rv run` share. */
function withTaskFlags(command: Command): Command {
  return command
    .passThroughOptions()
    .option("--lease <lease>", "lease to submit to (default: the running one, else the local lease)")
    .option("--gpus <n>", "GPUs the task needs", undefined)
    .option("--cpus <n>", "CPUs the task needs")
    .option("--name <name>", "a name to find the task by")
    .option("--env <K=V>", "set an environment variable (repeatable); --env K passes K from here", collect, [])
    .option("--cwd <dir>", "working directory (default: here; on the cluster: your home there)")
    .option("--shell <script>", "run a shell string instead of an argv (bash -c)")
    .option("--tag <tag>", "a tag (repeatable)", collect, [])
    .option("--note <text>", "a note kept with the task")
    .option("--strict-order", "never let later tasks start before this one")
    .option("--checkpoint [signal]", "the task saves its state on SIGNAL (default USR1) at a segment end")
    .option("--time-request <duration>", "how long the task needs (e.g. 30m, 2h): not started in a shorter segment");
}

function withJson(command: Command): Command {
  return command.option("--json", "print a stable, versioned JSON document instead of text");
}

/**
 * Every command and flag in one place. Actions import their command module only when they run, so
 * `rv --help` and `rv submit` never load code they do not use (changesets' lazy commands).
 */
export function buildProgram(dispatch: Dispatch, version: string): Command {
  const program = new Command("rv")
    .description("Hold GPUs once, run experiment after experiment in them, and never lose a task.")
    .version(version, "-V, --version")
    .enablePositionalOptions()
    .showHelpAfterError("(add --help for usage)")
    .exitOverride();

  withJson(
    withTaskFlags(
      program
        .command("submit")
        .description("queue a task: rv submit [flags] -- COMMAND ARGS...")
        .argument("[argv...]", "the command, recorded exactly as given"),
    )
      .option("--from <file.jsonl>", "submit one task per JSON line ('-' for stdin)")
      .addOption(new Option("--wait", "wait for the task and exit with its exit status").conflicts("follow"))
      .option("--follow", "stream the task's output and exit with its exit status (Ctrl-C stops following only)"),
  ).action((argv: string[], opts) =>
    dispatch(opts.json, async (ctx, config) =>
      (await import("./commands/submit.ts")).runSubmit(ctx, config, argv, opts),
    ),
  );

  withJson(
    withTaskFlags(
      program
        .command("run")
        .description("run a task in a lease and stay with it: its output as it comes, then its exit status")
        .argument("[argv...]", "the command, recorded exactly as given"),
    ),
  ).action((argv: string[], opts) =>
    dispatch(opts.json, async (ctx, config) =>
      (await import("./commands/submit.ts")).runSubmit(ctx, config, argv, { ...opts, follow: true }),
    ),
  );

  for (const name of ["tasks", "ps"]) {
    withJson(
      program
        .command(name)
        .description(name === "ps" ? "alias of rv tasks" : "list tasks, newest last")
        .option("--lease <lease>", "only this lease")
        .option("--state <states>", "pending, running, lost, succeeded, failed, cancelled, active, done (comma list)")
        .option("--name <regex>", "only tasks whose name matches")
        .option("-n <n>", "show the newest N (default 20; 0 for all)")
        .option("--all", "show every task"),
    ).action((opts) =>
      dispatch(opts.json, async (ctx, config) => (await import("./commands/tasks.ts")).runTasks(ctx, config, opts)),
    );
  }

  withJson(
    program
      .command("status")
      .description("leases, and the cluster at a glance: connection, account, storage, jobs, GPUs")
      .option("--lease <lease>", "only this lease")
      .option("--local", "only this machine: do not ask the cluster"),
  ).action((opts) =>
    dispatch(opts.json, async (ctx, config) => (await import("./commands/status.ts")).runStatus(ctx, config, opts)),
  );

  program
    .command("tui")
    .description("watch and steer leases, runners and tasks full screen (local, and the cluster's over ssh)")
    .action(() =>
      dispatch(false, async (ctx, config) => {
        const { loadForTerminal } = await import("./ui/ink.ts");
        return (await loadForTerminal(() => import("./tui/run.tsx"))).runTui(ctx, config);
      }),
    );

  withJson(
    program
      .command("logs")
      .description("print a task's output")
      .argument("<task>", "id, unique suffix, or 1 for the newest")
      .option("-n <lines>", "only the last N lines")
      .option("--stderr", "stderr instead of stdout")
      .option("-f, --follow", "keep printing as the task writes (Ctrl-C stops following only)")
      .option("--attempt <n>", "an earlier attempt's output")
      .option("--lease <lease>", "look in this lease only"),
  ).action((task: string, opts) =>
    dispatch(opts.json, async (ctx, config) => (await import("./commands/logs.ts")).runLogs(ctx, config, task, opts)),
  );

  withJson(
    program
      .command("wait")
      .description("wait until tasks finish; exit 0 when all succeeded")
      .argument("[tasks...]", "ids, suffixes or numbers")
      .option("--all", "every unfinished task")
      .option("--lease <lease>", "only this lease")
      .option("--timeout <duration>", "give up after this long (e.g. 30s, 5m)"),
  ).action((tasks: string[], opts) =>
    dispatch(opts.json, async (ctx, config) => (await import("./commands/wait.ts")).runWait(ctx, config, tasks, opts)),
  );

  withJson(
    program
      .command("cancel")
      .description("cancel tasks: pending ones never start, running ones are stopped with their children")
      .argument("[tasks...]", "ids, suffixes or numbers")
      .option("--all", "every unfinished task")
      .option("--lease <lease>", "only this lease")
      .option("--dry-run", "say what would be cancelled, do nothing"),
  ).action((tasks: string[], opts) =>
    dispatch(opts.json, async (ctx, config) =>
      (await import("./commands/cancel.ts")).runCancel(ctx, config, tasks, opts),
    ),
  );

  withJson(
    program
      .command("requeue")
      .description("send a failed, cancelled, stuck or lost task back to the inbox as a new attempt")
      .argument("[tasks...]", "ids, suffixes or numbers")
      .option("--lease <lease>", "look in this lease only"),
  ).action((tasks: string[], opts) =>
    dispatch(opts.json, async (ctx, config) =>
      (await import("./commands/requeue.ts")).runRequeue(ctx, config, tasks, opts),
    ),
  );

  withJson(
    withSlurmLeaseFlags(
      program
        .command("up")
        .description("hold GPUs on the cluster, then open a shell on the node (the lease outlives the shell)")
        .option("--name <name>", "lease name (default: a generated one)")
        .option("--cpus <n>", "CPUs in all (split over the nodes)"),
    ).option("--no-shell", "do not open a shell: return once the runner is up"),
  ).action((opts) =>
    dispatch(opts.json, async (ctx, config) => (await import("./commands/lease/up-slurm.ts")).runUp(ctx, config, opts)),
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
    dispatch(opts.json, async (ctx, config) =>
      !opts.local && opts.gpuIds === undefined && (opts.partition !== undefined || config.cluster !== undefined)
        ? (await import("./commands/lease/up-slurm.ts")).runSlurmLeaseUp(ctx, config, opts)
        : (await import("./commands/lease/up.ts")).runLeaseUp(ctx, config, opts),
    ),
  );
  withJson(
    lease
      .command("renew")
      .description("submit a Slurm lease's next segment (run by the segment's batch script)")
      .requiredOption("--lease <lease>", "the lease")
      .requiredOption("--after <job>", "the running segment's Slurm job id")
      .option("--segment-end <epoch-seconds>", "when the running segment's job ends (default: its walltime from now)"),
  ).action((opts) =>
    dispatch(opts.json, async (ctx, config) =>
      (await import("./commands/lease/renew.ts")).runLeaseRenew(ctx, config, opts),
    ),
  );
  withJson(
    lease
      .command("claim")
      .description("claim a racing Slurm lease for this job, or learn it lost (run by segment 0's batch script)")
      .requiredOption("--lease <lease>", "the lease")
      .requiredOption("--attempt <n>", "the race attempt")
      .requiredOption("--rank <n>", "this job's strategy's rank")
      .requiredOption("--job <job>", "this job's Slurm job id")
      .option("--segment-end <epoch-seconds>", "when this job ends, as Slurm granted it"),
  ).action((opts) =>
    dispatch(opts.json, async (ctx, config) =>
      (await import("./commands/lease/claim.ts")).runLeaseClaim(ctx, config, opts),
    ),
  );
  withJson(
    lease
      .command("end-segment")
      .description("tell a segment's runners that its job ends soon (run by the segment's batch script)")
      .requiredOption("--lease <lease>", "the lease")
      .requiredOption("--segment <n>", "the segment"),
  ).action((opts) =>
    dispatch(opts.json, async (ctx, config) =>
      (await import("./commands/lease/end-segment.ts")).runLeaseEndSegment(ctx, config, opts),
    ),
  );
  withJson(lease.command("ls").description("list leases")).action((opts) =>
    dispatch(opts.json, async (ctx, config) => (await import("./commands/lease/ls.ts")).runLeaseLs(ctx, config)),
  );
  withJson(
    lease
      .command("why")
      .description(
        "cluster: why a lease has no GPUs yet (or waits for its next segment), in Slurm's words and plain ones",
      )
      .argument("<lease>", "lease name"),
  ).action((id: string, opts) =>
    dispatch(opts.json, async (ctx, config) => (await import("./commands/lease/why.ts")).runLeaseWhy(ctx, config, id)),
  );
  withJson(
    lease
      .command("show")
      .description("a lease in detail")
      .argument("<lease>", "lease name")
      .option("--alloc", "cluster: the allocator's decision, and each racing job's script and Slurm output"),
  ).action((id: string, opts) =>
    dispatch(opts.json, async (ctx, config) =>
      (await import("./commands/lease/show.ts")).runLeaseShow(ctx, config, id, opts),
    ),
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
    dispatch(opts.json, async (ctx, config) =>
      (await import("./commands/lease/release.ts")).runLeaseRelease(ctx, config, id, opts),
    ),
  );
  withJson(
    lease
      .command("resume")
      .description("cluster: ask Slurm again for a lease paused after too many failures in a row")
      .argument("<lease>", "lease name"),
  ).action((id: string, opts) =>
    dispatch(opts.json, async (ctx, config) =>
      (await import("./commands/lease/resume.ts")).runLeaseResume(ctx, config, id),
    ),
  );
  withJson(
    lease
      .command("extend")
      .description("add time to a Slurm lease: its segments renew for longer")
      .argument("<lease>", "lease name")
      .requiredOption("--time <walltime>", "how much longer to hold it, e.g. 2h"),
  ).action((id: string, opts) =>
    dispatch(opts.json, async (ctx, config) =>
      (await import("./commands/lease/extend.ts")).runLeaseExtend(ctx, config, id, opts),
    ),
  );

  withJson(
    program
      .command("init")
      .description("set up a Slurm cluster: ssh, root directory, deploy rv, discover partitions and GPUs")
      .option("--host <host>", "the login node: a host name, an address, or an alias from ~/.ssh/config")
      .option("--port <port>", "ssh port (default: from your ssh config, else 22)")
      .option("--user <user>", "your user name on the cluster")
      .option("--identity-file <file>", "the ssh key to use (default: from your ssh config)")
      .option("--account <account>", "the Slurm account to charge (default: your default account)")
      .option("--root <dir>", "rv's directory on the cluster (default: /scratch/USER/.rv, else ~/.rv there)")
      .option("--name <name>", "a short name for the cluster (default: from the host)")
      .option(
        "--profile <profile>",
        "the site profile: a built-in (rivanna, devcluster) or a TOML file's absolute path",
      )
      .option("--yes", "ask nothing: take flags and defaults"),
  ).action((opts) =>
    dispatch(opts.json, async (ctx, config) => (await import("./commands/init.ts")).runInit(ctx, config, opts)),
  );

  withJson(program.command("doctor").description("check this machine, the ssh connection and the cluster")).action(
    (opts) => dispatch(opts.json, async (ctx, config) => (await import("./commands/doctor.ts")).runDoctor(ctx, config)),
  );

  withJson(
    program
      .command("resources")
      .description("GPUs per partition and type: total, allocated, idle, planned for backfill, pending demand")
      .option("--partition <partition>", "only this partition (repeatable)", collect, [])
      .option("--gpu <n>", "say what a request for N GPUs would meet now"),
  ).action((opts) =>
    dispatch(opts.json, async (ctx, config) =>
      (await import("./commands/resources.ts")).runResources(ctx, config, opts),
    ),
  );

  withJson(
    program
      .command("cost")
      .description("the SUs a request charges, from the site profile, and the account's balance before and after")
      .requiredOption("--type <type>", "the GPU type, as the site profile names it (e.g. a100_80)")
      .option("--gpu <n>", "GPUs (default 1)")
      .option("--time <walltime>", "how long, e.g. 24h or 2:59:00 (default: one segment, the profile's or 2:59:00)")
      .option("--account <account>", "the account whose balance to show (default: from rv init)")
      .option("--profile <name|file>", "the site profile: a built-in name or a TOML file (default: from config)"),
  ).action((opts) =>
    dispatch(opts.json, async (ctx, config) => (await import("./commands/cost.ts")).runCost(ctx, config, opts)),
  );

  program
    .command("attach")
    .description("a shell inside a cluster lease's allocation (its GPUs), on a task's node; the lease goes on after")
    .argument(
      "[task|lease]",
      "a running task (its node and directory) or a lease (default: the only or newest running one)",
    )
    .action((ref: string | undefined) =>
      dispatch(false, async (ctx, config) => (await import("./commands/attach.ts")).runAttach(ctx, config, ref)),
    );

  withJson(
    program
      .command("ssh")
      .description("a shell on the cluster's login node, through rv's ssh config")
      .option("--config", "print the cluster's ssh host block (for editors and ~/.ssh/config) instead"),
  ).action((opts) =>
    dispatch(opts.json, async (ctx, config) => (await import("./commands/ssh.ts")).runSsh(ctx, config, opts)),
  );

  program
    .command("rpc", { hidden: true })
    .description("the login-node end of the CLI's calls (JSON on stdin and stdout)")
    .action(() => dispatch(true, async (ctx) => (await import("./commands/rpc.ts")).runRpc(ctx)));

  withJson(
    program
      .command("runner")
      .description("run a lease's runner in the foreground (rv lease up starts it for you)")
      .requiredOption("--lease <lease>", "the lease to serve")
      .option("--gpu-ids <ids>", "GPU ids to hand out, e.g. 0,1,2,3")
      .option("--cpus <n>", "CPUs to hand out")
      .option("--segment <segment>", "segment label recorded in heartbeats")
      .option("--segment-end <epoch-seconds>", "when the segment's job ends: longer --time-request tasks wait")
      .option("--take-over-from <segment>", "once running, tell that segment's runners to finish and exit (overlap)")
      .option(
        "--idle-release <duration>",
        "release the lease after this long with nothing pending or running (e.g. 30m)",
      ),
  ).action((opts) =>
    dispatch(opts.json, async (ctx, config) =>
      (await import("./commands/runner.ts")).runRunnerCommand(ctx, config, opts),
    ),
  );

  return program;
}
