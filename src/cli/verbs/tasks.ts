import { type Command, Option } from "commander";
import { type AddVerbs, collect, type Dispatch, withJson, withTaskFlags } from "./flags.ts";
import { addUi } from "./ui.ts";

/**
 * The task plane: submit, run, list, follow, wait, cancel, requeue, and the screens that show them. One entry per
 * command (and its aliases), in help's order: a command line builds only its own (program.ts), as commander's
 * options cost `rv submit` more to build than all its own work.
 */
export const TASK_VERBS: [commands: string[], add: AddVerbs][] = [
  [["submit"], addSubmit],
  [["run"], addRun],
  [["sweep"], addSweep],
  [["config"], addConfig],
  [["tasks", "ps"], addTasks],
  [["tags"], addTags],
  [["status"], addStatus],
  [["tui"], addTui],
  [["ui"], addUi],
  [["logs"], addLogs],
  [["show"], addShow],
  [["stats"], addStats],
  [["wait"], addWait],
  [["cancel"], addCancel],
  [["requeue"], addRequeue],
  [["pull"], addPull],
  [["rerun"], addRerun],
  [["clean"], addClean],
  [["note"], addNote],
];

function addSubmit(program: Command, dispatch: Dispatch): void {
  withJson(
    withTaskFlags(
      program
        .command("submit")
        .description(
          "queue a task: rv submit [flags] -- COMMAND ARGS..., or a job of rv.toml: rv submit [flags] JOB [--var value]",
        )
        .argument("[argv...]", "the command, recorded exactly as given (or a job's name and its variables)"),
    )
      .option("--from <file.jsonl>", "submit one task per JSON line ('-' for stdin); the flags above are defaults")
      .addOption(new Option("--wait", "wait for the task and exit with its exit status").conflicts("follow"))
      .option("--follow", "stream the task's output and exit with its exit status (Ctrl-C stops following only)"),
  ).action((argv: string[], opts, command: Command) =>
    dispatch(opts.json, async (ctx) =>
      (await import("../commands/submit.ts")).runSubmit(ctx, argv, {
        ...opts,
        afterDashes: afterDashes(command, argv),
      }),
    ),
  );
}

function addRun(program: Command, dispatch: Dispatch): void {
  withJson(
    withTaskFlags(
      program
        .command("run")
        .description("run a task in a lease and stay with it: its output as it comes, then its exit status")
        .argument("[argv...]", "the command, recorded exactly as given"),
    )
      .option("--gpu <n>", "cluster: a lease of its own with N GPUs, released when the task ends")
      .option("--type <types>", "with --gpu: GPU types to accept, e.g. a6000,a100_80")
      .option("--partition <partition>", "with --gpu: only this partition")
      .option("--time <walltime>", "with --gpu: how long the lease may hold (default 1h)"),
  ).action((argv: string[], opts, command: Command) =>
    dispatch(opts.json, async (ctx) =>
      (await import("../commands/submit.ts")).runSubmit(ctx, argv, {
        ...opts,
        follow: true,
        afterDashes: afterDashes(command, argv),
      }),
    ),
  );
}

function addSweep(program: Command, dispatch: Dispatch): void {
  const sweep = withJson(
    withTaskFlags(
      program
        .command("sweep")
        .description("submit a grid of tasks: rv sweep [flags] -- python train.py --lr {1e-3,3e-4} --seed {1..3}")
        .argument("[argv...]", "the command, with each swept value as a brace list {a,b} or range {1..5}"),
    )
      .option(
        "--from <file>",
        "the points one by one (.jsonl objects or .csv with a header), filling {name} in the command",
      )
      .option("--sweep <id>", "the sweep's id (default: one made from the command, the same each time)")
      .option("--force", "submit every point, even one whose identical task succeeded or is under way")
      .option("--dry-run", "print the points and what would be skipped; submit nothing"),
  ).action((argv: string[], opts, command: Command) =>
    dispatch(opts.json, async (ctx) =>
      (await import("../commands/sweep.ts")).runSweep(ctx, argv, { ...opts, afterDashes: afterDashes(command, argv) }),
    ),
  );
  // Commander takes a subcommand's name from the operands after `--` too, and `rv sweep -- ls -l {a,b}` would list
  // sweeps (or fail on -l): said plainly instead, with what to type. The name is sweep's first operand, and it came
  // after `--` when every operand did (sweep.args: its operands, then what is left for the subcommand).
  sweep.hook("preSubcommand", (_, sub) => {
    const words = program.args;
    const dashes = words.indexOf("--");
    if (dashes >= 0 && sweep.args.length <= words.length - dashes - 1) {
      sweep.error(
        `error: after --, "${sub.name()}" is rv sweep ${sub.name()}, not the command to sweep: give the program's path (./${sub.name()}, /usr/bin/${sub.name()}) or run it with sh -c`,
        { exitCode: 2, code: "rv.sweepSubcommandWord" },
      );
    }
  });
  withJson(
    sweep
      .command("show")
      .description("a sweep's points: parameters, task, state, exit code and elapsed time")
      .argument("[id]", "the sweep's id (rv sweep prints it; default: the newest sweep, rv sweep ls)"),
  ).action((id: string | undefined, opts) =>
    dispatch(opts.json, async (ctx) => (await import("../commands/sweep.ts")).runSweepShow(ctx, id)),
  );
  withJson(
    sweep.command("ls").description("the sweeps here and on the cluster: their points by state, newest first"),
  ).action((opts) => dispatch(opts.json, async (ctx) => (await import("../commands/sweep.ts")).runSweepList(ctx)));
}

function addConfig(program: Command, dispatch: Dispatch): void {
  withJson(
    withTaskFlags(
      program
        .command("config")
        .description("the project's rv.toml and where each value comes from: rv config show [JOB]")
        .command("show")
        .description("what rv submit would use here: rv.toml's defaults, or a job, and where each value came from")
        .argument("[job...]", "a job of rv.toml, and its variables as --name value"),
    ),
  ).action((words: string[], opts, command: Command) =>
    dispatch(opts.json, async (ctx) =>
      (await import("../commands/config-show.ts")).runConfigShow(ctx, words, {
        ...opts,
        afterDashes: afterDashes(command, words),
      }),
    ),
  );
}

function addTasks(program: Command, dispatch: Dispatch): void {
  for (const name of ["tasks", "ps"]) {
    withJson(
      program
        .command(name)
        .description(name === "ps" ? "alias of rv tasks" : "list tasks here and on the cluster, newest last")
        .option("--lease <lease>", "only this lease")
        .option(
          "--state <states>",
          "pending, blocked, running, lost, succeeded, failed, cancelled, dep_failed, unknown, active, done (comma list)",
        )
        .option("--name <regex>", "only tasks whose name matches")
        .option("--tag <tag>", "only tasks with this tag (repeatable: all of them)", collect, [])
        .option("-n <n>", "show the newest N (default 20; 0 for all)")
        .option("--all", "show every task")
        .option("--archived", "the tasks rv clean archived, instead"),
    ).action((opts) => dispatch(opts.json, async (ctx) => (await import("../commands/tasks.ts")).runTasks(ctx, opts)));
  }
}

function addTags(program: Command, dispatch: Dispatch): void {
  withJson(
    program
      .command("tags")
      .description("every tag, with its tasks counted by state (rv tasks --tag T lists them)")
      .option("--lease <lease>", "only this lease"),
  ).action((opts) => dispatch(opts.json, async (ctx) => (await import("../commands/tags.ts")).runTags(ctx, opts)));
}

function addStatus(program: Command, dispatch: Dispatch): void {
  withJson(
    program
      .command("status")
      .description("leases, and every cluster at a glance (asked at once): connection, account, storage, jobs, GPUs")
      .option("--lease <lease>", "only this lease")
      .option("--local", "only this machine: do not ask any cluster")
      .option("--timeout <duration>", "how long to wait for each cluster's answer (default 20s)"),
  ).action((opts) => dispatch(opts.json, async (ctx) => (await import("../commands/status.ts")).runStatus(ctx, opts)));
}

function addTui(program: Command, dispatch: Dispatch): void {
  program
    .command("tui")
    .description("watch and steer leases, runners and tasks full screen (local, and the cluster's over ssh)")
    .option("--tag <tag>", "show only tasks with this tag (repeatable: all of them)", collect, [])
    .action((opts: { tag: string[] }) =>
      dispatch(false, async (ctx) => {
        const { loadForTerminal } = await import("../ui/ink.ts");
        return (await loadForTerminal(() => import("../tui/run.tsx"))).runTui(ctx, opts);
      }),
    );
}

function addLogs(program: Command, dispatch: Dispatch): void {
  withJson(
    program
      .command("logs")
      .description("print a task's output, here or on the cluster (or with --tag, the last lines of each task's)")
      .argument("[task]", "id, unique suffix, 1 for the newest, or name")
      .option("--tag <tag>", "every task with this tag, each under a header (repeatable: all of them)", collect, [])
      .option("--search <pattern>", "the lines that match, in every task's stdout and stderr (or TASK's, --tag's)")
      .option("-i, --ignore-case", "with --search: match regardless of case")
      .option("--pull", "copy every attempt's stdout and stderr of a cluster task here (to ./rv-logs/ID, or --to)")
      .option("--to <dir>", "with --pull: where the logs go")
      .option("-n <lines>", "only the last N lines (with --tag: 10 unless given)")
      .option("--stderr", "stderr instead of stdout")
      .option("-f, --follow", "keep printing as the task writes (Ctrl-C stops following only)")
      .option("--attempt <n>", "an earlier attempt's output")
      .option("--lease <lease>", "look in this lease only"),
  ).action((task: string | undefined, opts) =>
    dispatch(opts.json, async (ctx) => (await import("../commands/logs.ts")).runLogs(ctx, task, opts)),
  );
}

function addShow(program: Command, dispatch: Dispatch): void {
  withJson(
    program
      .command("show")
      .description("everything about one task: command, environment names, asks, state, each attempt and its logs")
      .argument("<task>", "id, unique suffix, or 1 for the newest")
      .option("--lease <lease>", "look in this lease only"),
  ).action((task: string, opts) =>
    dispatch(opts.json, async (ctx) => (await import("../commands/show.ts")).runShow(ctx, task, opts)),
  );
}

function addStats(program: Command, dispatch: Dispatch): void {
  withJson(
    program
      .command("stats")
      .description("elapsed, CPU time, CPU%, peak memory and GPU memory of each attempt (default: the newest 20 tasks)")
      .argument("[tasks...]", "ids, suffixes or numbers")
      .option("--tag <tag>", "every task with this tag (repeatable: all of them)", collect, [])
      .option("--lease <lease>", "only this lease")
      .option("-n <n>", "show the newest N tasks (default 20, with --tag all; 0 for all)"),
  ).action((tasks: string[], opts) =>
    dispatch(opts.json, async (ctx) => (await import("../commands/stats.ts")).runStats(ctx, tasks, opts)),
  );
}

function addWait(program: Command, dispatch: Dispatch): void {
  withJson(
    program
      .command("wait")
      .description("wait until tasks finish; exit 0 when all succeeded (9 when one can never start)")
      .argument("[tasks...]", "ids, suffixes or numbers")
      .option("--all", "every task of the leases in scope, finished ones included")
      .option("--tag <tag>", "every task with this tag (repeatable: all of them)", collect, [])
      .option("--lease <lease>", "only this lease")
      .option("--timeout <duration>", "give up after this long (e.g. 30s, 5m)"),
  ).action((tasks: string[], opts) =>
    dispatch(opts.json, async (ctx) => (await import("../commands/wait.ts")).runWait(ctx, tasks, opts)),
  );
}

function addCancel(program: Command, dispatch: Dispatch): void {
  withJson(
    program
      .command("cancel")
      .description("cancel tasks: pending ones never start, running ones are stopped with their children")
      .argument("[tasks...]", "ids, suffixes or numbers")
      .option("--all", "every unfinished task")
      .option("--tag <tag>", "every unfinished task with this tag (repeatable: all of them)", collect, [])
      .option("--lease <lease>", "only this lease")
      .option("--dry-run", "say what would be cancelled, do nothing"),
  ).action((tasks: string[], opts) =>
    dispatch(opts.json, async (ctx) => (await import("../commands/cancel.ts")).runCancel(ctx, tasks, opts)),
  );
}

function addRequeue(program: Command, dispatch: Dispatch): void {
  withJson(
    program
      .command("requeue")
      .description("send a failed, cancelled, stuck or lost task back to the inbox as a new attempt")
      .argument("[tasks...]", "ids, suffixes or numbers")
      .option("--tag <tag>", "every failed, cancelled or lost task with this tag (repeatable)", collect, [])
      .option("--lease <lease>", "look in this lease only"),
  ).action((tasks: string[], opts) =>
    dispatch(opts.json, async (ctx) => (await import("../commands/requeue.ts")).runRequeue(ctx, tasks, opts)),
  );
}

function addPull(program: Command, dispatch: Dispatch): void {
  withJson(
    program
      .command("pull")
      .description("a cluster task's files back here: PATHs in its cwd, else its --outputs, else its whole cwd")
      .argument("<task>", "id, unique suffix, 1 for the newest, or name")
      .argument("[paths...]", "relative to the task's cwd (globs allowed)")
      .option("--to <dir>", "where they land (default: beside the code for a --sync task, else ./NAME)")
      .option("--dry-run", "list what would come, copy nothing")
      .option("--lease <lease>", "look in this lease only"),
  ).action((task: string, paths: string[], opts) =>
    dispatch(opts.json, async (ctx) => (await import("../commands/pull.ts")).runPull(ctx, task, paths, opts)),
  );
}

function addRerun(program: Command, dispatch: Dispatch): void {
  withJson(
    program
      .command("rerun")
      .description("a new task from an old one, with changes: rv rerun TASK [--env K=V] [-- NEW ARGV]")
      .argument("<words...>", "the task (id, suffix, number or name), then optionally -- and a new command")
      .option(
        "--env <K=V>",
        "set or replace an environment variable (repeatable); --env K passes K from here",
        collect,
        [],
      )
      .option("--name <name>", "the new task's name (default: the old one's, with -rerun, -rerun2, ...)")
      .option("--lease <lease>", "look in this lease only"),
  ).action((words: string[], opts) =>
    dispatch(opts.json, async (ctx) => (await import("../commands/rerun.ts")).runRerun(ctx, words, opts)),
  );
}

function addClean(program: Command, dispatch: Dispatch): void {
  withJson(
    program
      .command("clean")
      .description("archive finished tasks and their logs (rv tasks --archived lists them), or --delete them")
      .option("--older-than <duration>", "only tasks that ended longer ago than this (e.g. 7d)")
      .option("--tag <tag>", "only tasks with this tag (repeatable: all of them)", collect, [])
      .option("--lease <lease>", "only this lease")
      .option("--delete", "delete them and their logs instead of archiving")
      .option("--all", "with --delete and no other filter: every finished task")
      .option("--dry-run", "list what would be cleaned, change nothing"),
  ).action((opts) => dispatch(opts.json, async (ctx) => (await import("../commands/clean.ts")).runClean(ctx, opts)));
}

function addNote(program: Command, dispatch: Dispatch): void {
  withJson(
    program
      .command("note")
      .description('set a task\'s note (rv note TASK "text"), or print it (rv note TASK)')
      .argument("<task>", "id, unique suffix, 1 for the newest, or name")
      .argument("[text]", "the note (replaces the one it had)")
      .option("--clear", "remove the note")
      .option("--lease <lease>", "look in this lease only"),
  ).action((task: string, text: string | undefined, opts) =>
    dispatch(opts.json, async (ctx) => (await import("../commands/note.ts")).runNote(ctx, task, text, opts)),
  );
}

/**
 * Whether the command's words came after `--` (commander drops it; the program's operands keep it): a command
 * after `--` is never a job's name, so `rv submit -- train` runs a program called train.
 */
function afterDashes(command: Command, words: readonly string[]): boolean {
  const typed = command.parent?.args ?? [];
  return words.length > 0 && typed[typed.length - words.length - 1] === "--";
}
