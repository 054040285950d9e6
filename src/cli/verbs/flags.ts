import { type Command, Option } from "commander";
import type { Context } from "../context.ts";

/** Runs one command body with its context; the command's result is the process exit status. */
export type Dispatch = (json: boolean, body: (ctx: Context) => Promise<number>) => Promise<void>;

/** Adds some of the program's commands (program.ts's groups). */
export type AddVerbs = (program: Command, dispatch: Dispatch) => void;

export const collect = (value: string, previous: string[]) => [...previous, value];

/** What a Slurm lease asks for: the flags `rv lease up` and `rv up` share. */
export function withSlurmLeaseFlags(command: Command): Command {
  return command
    .option("--gpu <n>", "cluster: GPUs in all (default 1; 0 for a CPU-only lease)")
    .option("--type <types>", "cluster: GPU types to accept, e.g. a6000,a100_80 (default: any that fits)")
    .option("--vram <GB>", "cluster: the least GPU memory each GPU must have, in GB")
    .option("--partition <partition>", "cluster: only this partition (default: rv chooses)")
    .option("--nodes <n>", "cluster: nodes, one runner each (default: rv chooses)")
    .option(
      "--parts <n|auto>",
      "cluster: hold the lease as N Slurm jobs of --gpu/N GPUs each, all serving its one inbox; each is queued, renewed and replaced on its own (a task fits in one part). auto: race the lease whole, in halves and in 1-GPU parts, and keep the shape whose job starts first",
    )
    .option("--mem <size>", "cluster: memory in all, e.g. 64G (split over the nodes)")
    .option("--time <walltime>", "cluster: how long to hold the lease in all, e.g. 24h (default: one segment)")
    .option("--segment <walltime>", "cluster: walltime of each segment job (default 2:59:00)")
    .addOption(
      new Option(
        "--renewal <policy>",
        "cluster: how a segment is followed: chain (after it) or overlap (before its end)",
      ).choices(["chain", "overlap"]),
    )
    .option(
      "--overlap <duration>",
      "cluster: with --renewal overlap, how early the next segment may start at least (e.g. 10m); longer when the lease's segments waited longer in the queue",
    )
    .option("--account <account>", "cluster: the Slurm account (default: from rv init)")
    .option("--idle-release <duration>", "cluster: give the GPUs back after this long with no task (e.g. 30m)")
    .option(
      "--dry-run",
      "cluster: print the strategies, why each was kept or dropped, and their scripts; submit nothing",
    )
    .option("--detach", "cluster: return once the first segment is queued, without waiting for its runner");
}

/** What a task asks for: the flags `rv submit` and `rv run` share. */
export function withTaskFlags(command: Command): Command {
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
    .option(
      "--after <tasks>",
      "start only once these succeeded: ids, names, tags, wildcards (prep-*); comma-separated, repeatable",
      collect,
      [],
    )
    .option("--note <text>", "a note kept with the task")
    .option("--strict-order", "never let later tasks start before this one")
    .option("--checkpoint [signal]", "the task saves its state on SIGNAL (default USR1) at a segment end")
    .option("--time-request <duration>", "how long the task needs (e.g. 30m, 2h): not started in a shorter segment")
    .option("--retry <n>", "run a failed attempt again, up to N times")
    .option("--retry-delay <duration>", "wait before the first retry, doubled for each next one (default 10s)")
    .option("--retry-on <codes>", "retry only these: exit codes, signals, timeout (e.g. 1,137,SIGKILL,timeout)")
    .option("--timeout <duration>", "stop an attempt that runs longer (e.g. 2h): it fails with reason timeout")
    .option("--sync", "cluster: push the project to its workspace first (rv sync push), and run the task there")
    .option(
      "--outputs <glob>",
      "what the task writes, relative to its cwd: rv pull brings it back (repeatable)",
      collect,
      [],
    )
    .option(
      "--max-running <n>",
      "at most N tasks of this sweep (rv sweep) or of its first --tag run at once in the lease",
    );
}

export function withJson(command: Command): Command {
  return command.option("--json", "print a stable, versioned JSON document instead of text");
}
