import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, type Options } from "execa";
import { RV_BIN } from "../test/helpers/rv.ts";
import { parseMarks, type RunVerdict, type TaskHistory } from "./history.ts";

/** What a scenario gets for one run: its seed, a private RV_HOME, and a directory for the tasks' marks. */
export interface RunContext {
  /** The short mode of `npm test`: fewer and smaller runs, the same checks. */
  short: boolean;
  seed: number;
  random: () => number;
  root: string;
  marks: string;
}

export interface Scenario {
  name: string;
  /** What it needs beyond this machine: the Slurm dev cluster (and its sshd). */
  needs: "local" | "cluster";
  /** Runs in `npm run chaos`, and in the short mode of `npm test`. */
  runs: { full: number; short: number };
  run(ctx: RunContext): Promise<RunVerdict>;
}

/** `rv ARGS` against `root`, never throwing on a non-zero exit; extra environment on top of the chaos defaults. */
export function rv(root: string, args: string[], options: Options & { env?: Record<string, string> } = {}) {
  return execa(RV_BIN, args, {
    reject: false,
    stdin: "ignore",
    ...options,
    env: { RV_HOME: root, NO_COLOR: "1", ...options.env },
  });
}

/** Throws with rv's own words when a step the scenario relies on fails: that is the harness's fault, not a count. */
export async function must(
  root: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ stdout: string; stderr: string }> {
  const result = await rv(root, args, { env });
  if (result.exitCode !== 0) throw new Error(`rv ${args.join(" ")} exited ${result.exitCode}: ${result.stderr}`);
  return { stdout: String(result.stdout), stderr: String(result.stderr) };
}

/**
 * A chaos task: under `flock -n` on its own lock file it writes `start`, sleeps, writes `end`; an attempt that
 * finds the lock held (an earlier attempt still running) writes `twice` instead. Times are the tasks' own clock.
 */
export function taskCommand(marks: string, sleepMs: number): string[] {
  const mark = `${marks}/$RV_TASK_ID`;
  const stamp = (kind: string) => `echo "${kind} $RV_ATTEMPT $(date +%s%3N)" >> "${mark}"`;
  const body = `${stamp("start")}; sleep ${sleepMs / 1000}; ${stamp("end")}`;
  return ["--", "sh", "-c", `flock -n "${mark}.lock" sh -c '${body}' || ${stamp("twice")}`];
}

interface ListedTask {
  id: string;
  state: string;
}

/** What rv shows of the lease's tasks at the end, and what each task wrote. */
export async function histories(
  root: string,
  lease: string,
  marks: string,
  acknowledged: readonly string[],
  allowed: readonly string[] = ["succeeded"],
): Promise<TaskHistory[]> {
  const { stdout } = await must(root, ["tasks", "--lease", lease, "--all", "--json"]);
  const listed = JSON.parse(stdout) as { tasks: ListedTask[] };
  const byId = new Map(listed.tasks.map((t) => [t.id, t.state]));
  return acknowledged.map((id) => {
    const file = join(marks, id);
    return {
      id,
      finalState: byId.get(id) ?? null,
      allowed,
      marks: existsSync(file) ? parseMarks(readFileSync(file, "utf8")) : [],
    };
  });
}

/** Waits until every task of the lease has ended, or the deadline passes (then the judge counts what has not). */
export async function settle(root: string, lease: string, timeout = "120s"): Promise<void> {
  await rv(root, ["wait", "--all", "--lease", lease, "--timeout", timeout]);
}

/** A fresh RV_HOME and marks directory for one run, removed afterwards with every runner under it stopped. */
export async function inFreshHome<T>(
  run: Pick<RunContext, "short" | "seed" | "random">,
  body: (ctx: RunContext) => Promise<T>,
): Promise<T> {
  const root = mkdtempSync(join(tmpdir(), "rv-chaos-"));
  const marks = join(root, "marks");
  mkdirSync(marks);
  try {
    return await body({ ...run, root, marks });
  } finally {
    await rv(root, ["lease", "release", "--all", "--now", "--wait"]);
    rmSync(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  }
}

/**
 * Submits one chaos task (taskCommand) through `root` and returns the id rv acknowledged, or null when it printed
 * none. `cpus`: what the task asks for (none: rv's default).
 */
export async function submitTask(
  root: string,
  task: { lease: string; marks: string; sleepMs: number; cpus?: number },
): Promise<string | null> {
  const cpus = task.cpus === undefined ? [] : ["--cpus", String(task.cpus)];
  const out = await must(root, [
    "submit",
    "--json",
    "--lease",
    task.lease,
    ...cpus,
    ...taskCommand(task.marks, task.sleepMs),
  ]);
  return submittedId(out.stdout);
}

/**
 * One more runner of the lease, in the foreground as a segment's node runs it, with 2 CPUs; `wrapper` runs it
 * (faketime), `env` adds to its environment.
 */
export function startRunner(
  home: string,
  lease: string,
  options: { env?: Record<string, string>; wrapper?: string[] } = {},
) {
  const [file = RV_BIN, ...args] = [...(options.wrapper ?? []), RV_BIN];
  return execa(file, [...args, "runner", "--lease", lease, "--cpus", "2"], {
    env: { RV_HOME: home, ...options.env },
    reject: false,
    stdio: "ignore",
  });
}

/** The id `rv submit --json` printed: the acknowledgement that the task exists. */
export function submittedId(stdout: string): string | null {
  try {
    return (JSON.parse(stdout) as { tasks: { id: string }[] }).tasks[0]?.id ?? null;
  } catch {
    return null;
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
