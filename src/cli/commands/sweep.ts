import { createHash } from "node:crypto";
import { PLAIN_WORD_RULE, plainWordProblem } from "../../config/index.ts";
import { RvError } from "../../errors.ts";
import type { TaskView } from "../../lease/index.ts";
import {
  expandGrid,
  fillPlaceholders,
  newestSweepFirst,
  type Point,
  parseGrid,
  parsePoints,
  pointName,
  sweepListOp,
  sweepOp,
  sweepShowOp,
  sweepSummaries,
  type TaskSpec,
  TaskSpecSchema,
  unclosedGroup,
} from "../../ops/index.ts";
import { plural } from "../../plural.ts";
import type { Context } from "../context.ts";
import { cut, formatTime, printJson, renderTable } from "../output.ts";
import { gather, missingJson, placesFor, reportMissing } from "../route.ts";
import { applyProject, withoutSync } from "./job.ts";
import { chooseTarget, flagDefaults, maxRunningOf, readFromFile, type SubmitOptions } from "./submit.ts";
import { syncedSpecs } from "./sync.ts";
import { secretsForPlace } from "./task-secrets.ts";
import { elapsed } from "./tasks.ts";

export interface SweepOptions extends SubmitOptions {
  sweep?: string;
  force?: boolean;
  dryRun?: boolean;
}

/**
 * `rv sweep [flags] -- python train.py --lr {1e-3,3e-4} --seed {1..3}`: every point of the grid (or of `--from`)
 * as a task named after its parameters and tagged with the sweep's id, in one call to the lease's place.
 */
export async function runSweep(
  context: Context,
  typed: string[],
  flags: SweepOptions & { afterDashes?: boolean },
): Promise<number> {
  const { ctx, submission } = applyProject(context, typed, flags, {
    verbFlags: ["--json", "--force", "--dry-run"],
    check: ({ maxRunning: _capsTheSweep, ...given }) => flagDefaults(given, context.env),
  });
  const { argv, flags: options } = submission;
  // A job's points are named after their parameters (or --name), not all after the job.
  if (submission.origins.name?.origin === "default") options.name = undefined;
  const { sweep, specs: parsed } = sweepSpecs(argv, options, ctx.env);
  if (
    options.from === undefined &&
    parsed.length === 1 &&
    parsed[0]?.sweep &&
    Object.keys(parsed[0].sweep.point).length === 0
  ) {
    const open = unclosedGroup(argv);
    ctx.io.err(
      open === undefined
        ? "rv: warning: no {a,b} or {1..3} group in the command: a sweep of one point. If your shell expanded the braces, quote them: '{1..3}'\n"
        : `rv: warning: ${JSON.stringify(open)} opens a group it does not close: a sweep of one point (a group is {a,b} or {1..3})\n`,
    );
  }
  const dryRun = options.dryRun === true;
  const { place, lease, unstarted } = await chooseTarget(ctx, options.lease, dryRun);
  const specs =
    options.sync && !dryRun
      ? await syncedSpecs(ctx, place, parsed)
      : withoutSync(ctx, parsed, submission.projectDir, place);
  const secrets = dryRun ? {} : await secretsForPlace(ctx, place);
  const input = { lease, sweep, specs, force: options.force === true, dryRun, unstarted: unstarted === true, secrets };
  const result = await place.call(sweepOp, input);
  if (ctx.json) {
    printJson(ctx.io, { ...(place.kind === "cluster" && { cluster: place.name }), ...result });
    return 0;
  }
  const verb = result.dryRun ? "would submit" : "submitted";
  ctx.io.out(
    `sweep ${sweep}: ${plural(specs.length, "point")}, ${verb} ${result.submitted.length} to lease ${lease}` +
      (result.skipped.length > 0 ? `, skipped ${result.skipped.length} (already succeeded or under way)` : "") +
      "\n",
  );
  const rows = [
    ...result.submitted.map((r) => [r.id ?? "-", cut(r.name ?? "-"), result.dryRun ? "would submit" : "submitted"]),
    ...result.skipped.map((r) => [r.id ?? "-", cut(r.name ?? "-"), `skipped (${r.state})`]),
  ];
  ctx.io.out(renderTable(ctx.io, ["id", "name", ""], rows));
  for (const note of result.warnings) ctx.io.err(`rv: warning: ${note}\n`);
  if (!result.dryRun) ctx.io.err(`rv: follow it with: rv sweep show ${sweep}\n`);
  return 0;
}

/** The sweep's id and one task spec per point; nothing is submitted yet. */
export function sweepSpecs(
  argv: string[],
  options: SweepOptions,
  env: NodeJS.ProcessEnv,
): { sweep: string; specs: TaskSpec[] } {
  if (argv.length === 0 || options.shell !== undefined) {
    throw new RvError("usage", "give the command to sweep after --, with its values in braces", {
      hint: "for example: rv sweep -- python train.py --lr {1e-3,3e-4} --seed {1..3}",
    });
  }
  const points = options.from === undefined ? expandGrid(parseGrid(argv)) : pointsFrom(options.from, argv);
  const sweep = options.sweep ?? defaultSweepId(argv, points);
  const problem = plainWordProblem(sweep);
  if (problem !== undefined) throw new RvError("usage", `--sweep ${problem}`, { hint: PLAIN_WORD_RULE });
  const { maxRunning, ...flags } = options;
  const defaults = {
    ...flagDefaults(flags, env),
    ...(maxRunning !== undefined && { maxRunning: maxRunningOf(maxRunning, sweep) }),
  };
  const specs = points.map((point, i) => specOf(point, i, { sweep, name: options.name, defaults }));
  return { sweep, specs };
}

function pointsFrom(file: string, argv: string[]): Point[] {
  return fillPlaceholders(argv, parsePoints(readFromFile(file), file));
}

/** The same command and points give the same id, so that a sweep submitted again is the same sweep. */
function defaultSweepId(argv: string[], points: Point[]): string {
  const made = JSON.stringify({ argv, points: points.map((p) => p.params) });
  return `sw-${createHash("sha256").update(made).digest("hex").slice(0, 6)}`;
}

function specOf(
  point: Point,
  index: number,
  how: { sweep: string; name: string | undefined; defaults: ReturnType<typeof flagDefaults> },
): TaskSpec {
  const parsed = TaskSpecSchema.safeParse({
    ...how.defaults,
    argv: point.argv,
    name: pointName(how.name, point, index),
    tags: [...new Set([...(how.defaults.tags ?? []), how.sweep])],
    sweep: { id: how.sweep, point: point.params },
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RvError("usage", `point ${index + 1}: ${issue?.path.join(".")}: ${issue?.message}`);
  }
  return parsed.data;
}

/**
 * `rv sweep show [ID]`: a row per point (its parameters, task, state, exit, elapsed), from every place; without an id,
 * of the sweep submitted to last, wherever it is.
 */
export async function runSweepShow(ctx: Context, id: string | undefined): Promise<number> {
  const places = placesFor(ctx, null);
  const { reached, missing } = await gather(places, (place) => place.call(sweepShowOp, { sweep: id }));
  // Without an id, each place answered with its newest sweep: the newer of those.
  const answered = reached.flatMap((r) => r.value.tasks);
  const sweep = id ?? sweepSummaries(answered)[0]?.id;
  const tasks = answered.filter((task) => task.sweep?.id === sweep);
  if (sweep === undefined || (tasks.length === 0 && missing.length === 0)) {
    const where = `here${ctx.cluster ? ` or on cluster ${ctx.cluster.name}` : ""}`;
    throw new RvError("not_found", sweep === undefined ? `no sweeps ${where}` : `no sweep ${sweep} ${where}`, {
      hint:
        sweep === undefined
          ? "rv sweep -- python train.py --lr {1e-3,3e-4} submits one"
          : "rv sweep ls lists the sweeps (rv sweep prints the id of each it submits)",
    });
  }
  if (id === undefined && !ctx.json) ctx.io.err(`rv: sweep ${sweep}, the newest (rv sweep ls lists them)\n`);
  if (ctx.json) {
    printJson(ctx.io, {
      sweep,
      counts: countsOf(tasks),
      tasks,
      ...(missing.length && { missing: missingJson(missing) }),
    });
    return 0;
  }
  reportMissing(ctx, missing, "sweep");
  const counts = Object.entries(countsOf(tasks)).map(([state, n]) => `${n} ${state}`);
  ctx.io.out(`sweep ${sweep}: ${plural(tasks.length, "point")}: ${counts.join(", ")}\n`);
  const axes = [...new Set(tasks.flatMap((t) => Object.keys(t.sweep?.point ?? {})))];
  const now = ctx.now().getTime();
  const rows = tasks.map((t) => [
    ...axes.map((a) => cut(t.sweep?.point[a] ?? "-")),
    t.id,
    t.state,
    t.exitCode === null ? (t.signal ?? "-") : String(t.exitCode),
    elapsed(t, now),
    String(t.attempt),
  ]);
  // An axis's values are free text (a path, a config name): cut to fit the terminal, the task's id never.
  ctx.io.out(renderTable(ctx.io, [...axes, "task", "state", "exit", "elapsed", "attempt"], rows, axes));
  return 0;
}

/** `rv sweep ls`: a row per sweep of every place (its leases, points by state, when it was last submitted to). */
export async function runSweepList(ctx: Context): Promise<number> {
  const { reached, missing } = await gather(placesFor(ctx, null), (place) => place.call(sweepListOp, {}));
  const sweeps = reached
    .flatMap(({ place, value }) => value.sweeps.map((sweep) => ({ ...sweep, place: place.name })))
    .sort(newestSweepFirst);
  if (ctx.json) {
    printJson(ctx.io, { sweeps, ...(missing.length && { missing: missingJson(missing) }) });
    return 0;
  }
  reportMissing(ctx, missing, "sweeps");
  if (sweeps.length === 0) {
    ctx.io.err("rv: no sweeps yet: rv sweep -- python train.py --lr {1e-3,3e-4} submits one\n");
    return 0;
  }
  const now = ctx.now();
  const rows = sweeps.map((sweep) => [
    sweep.id,
    sweep.place === "local" ? sweep.leases.join(",") : `${sweep.place}:${sweep.leases.join(",")}`,
    String(sweep.points),
    Object.entries(sweep.counts)
      .map(([state, n]) => `${n} ${state}`)
      .join(", "),
    formatTime(ctx.io, sweep.lastSubmittedAt, now),
  ]);
  ctx.io.out(renderTable(ctx.io, ["sweep", "lease", "points", "states", "submitted"], rows));
  return 0;
}

function countsOf(tasks: TaskView[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const t of tasks) counts[t.state] = (counts[t.state] ?? 0) + 1;
  return counts;
}
