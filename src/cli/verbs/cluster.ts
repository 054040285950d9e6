import type { Command } from "commander";
import { collect, type Dispatch, withJson } from "./flags.ts";

/** The cluster itself: set it up, check it, read its GPUs and costs, open shells there. */
export function addClusterVerbs(program: Command, dispatch: Dispatch): void {
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
      .option("--name <name>", "a short name for the cluster; a new name adds a cluster (default: from the host)")
      .option(
        "--profile <profile>",
        "the site profile: a built-in (rivanna, devcluster) or a TOML file's absolute path",
      )
      .option("--yes", "ask nothing: take flags and defaults"),
  ).action((opts) => dispatch(opts.json, async (ctx) => (await import("../commands/init.ts")).runInit(ctx, opts)));

  const cluster = program
    .command("cluster")
    .description("the clusters rv knows: list them, choose the one commands use, forget one");
  withJson(
    cluster.command("ls").description("every cluster (rv init --name adds one), the one in use marked *"),
  ).action((opts) => dispatch(opts.json, async (ctx) => (await import("../commands/cluster.ts")).runClusterLs(ctx)));
  withJson(
    cluster
      .command("use")
      .description("use this cluster from now on (one command can pick another with --cluster NAME)")
      .argument("<cluster>", "a cluster from rv cluster ls"),
  ).action((name: string, opts) =>
    dispatch(opts.json, async (ctx) => (await import("../commands/cluster.ts")).runClusterUse(ctx, name)),
  );
  withJson(
    cluster
      .command("rm")
      .description("forget a cluster here: its settings, ssh block and secrets (nothing on the cluster changes)")
      .argument("<cluster>", "a cluster from rv cluster ls"),
  ).action((name: string, opts) =>
    dispatch(opts.json, async (ctx) => (await import("../commands/cluster.ts")).runClusterRm(ctx, name)),
  );

  withJson(program.command("doctor").description("check this machine, the ssh connection and the cluster")).action(
    (opts) => dispatch(opts.json, async (ctx) => (await import("../commands/doctor.ts")).runDoctor(ctx)),
  );

  withJson(
    program
      .command("resources")
      .description("GPUs per partition and type: total, allocated, idle, planned for backfill, pending demand")
      .option("--partition <partition>", "only this partition (repeatable)", collect, [])
      .option("--gpu <n>", "say what a request for N GPUs would meet now"),
  ).action((opts) =>
    dispatch(opts.json, async (ctx) => (await import("../commands/resources.ts")).runResources(ctx, opts)),
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
  ).action((opts) => dispatch(opts.json, async (ctx) => (await import("../commands/cost.ts")).runCost(ctx, opts)));

  program
    .command("attach")
    .description("a shell inside a cluster lease's allocation (its GPUs), on a task's node; the lease goes on after")
    .argument(
      "[task|lease]",
      "a running task (its node and directory) or a lease (default: the only or newest running one)",
    )
    .action((ref: string | undefined) =>
      dispatch(false, async (ctx) => (await import("../commands/attach.ts")).runAttach(ctx, ref)),
    );

  withJson(
    program
      .command("ssh")
      .description("a shell on the cluster's login node, or on a task's node; through rv's ssh config")
      .argument("[task|lease]", "a task (a shell on its node, in its directory) or a lease (its node)")
      .option("--config", "print the cluster's ssh host block (for editors and ~/.ssh/config) instead"),
  ).action((ref: string | undefined, opts) =>
    dispatch(opts.json, async (ctx) => (await import("../commands/ssh.ts")).runSsh(ctx, ref, opts)),
  );

  withJson(
    program
      .command("forward")
      .description("a local port to a port on a cluster task's node, through the login node, until Ctrl-C")
      .argument("[port]", "PORT or PORT:LOCAL (LOCAL defaults to PORT, or the next free one); none with --auto")
      .argument("[task|lease]", "a running task (its node) or a lease (default: the only or newest running one)")
      .option("--auto", "find the servers the task started (Jupyter, TensorBoard, Ray, vLLM, Gradio, its own ports)"),
  ).action((port: string | undefined, ref: string | undefined, opts) =>
    dispatch(opts.json, async (ctx) =>
      (await import("../commands/forward.ts")).runForward(
        ctx,
        [port, ref].filter((a): a is string => a !== undefined),
        opts,
      ),
    ),
  );
}
