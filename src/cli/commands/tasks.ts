import { RvError } from "../../errors.ts";
import { type TaskState, TaskStateSchema, type TaskView } from "../../lease/state.ts";
import { type Listing, mergeSorted } from "../../ops/op.ts";
import type { Place } from "../../ops/places.ts";
import { tasksOp } from "../../ops/tasks.ts";
import { rememberClusterNames } from "../completion/cache.ts";
import type { Context } from "../context.ts";
import { parseCount } from "../flags.ts";
import { type Color, cut, formatDuration, noteOlderNotShown, paint, printJsonList, renderTable } from "../output.ts";
import { type Gathered, gather, missingJson, placesFor, reportMissing } from "../route.ts";
import { gpusText, outcomeText } from "../ui/format.ts";

export interface TasksOptions {
  lease?: string;
  state?: string;
  name?: string;
  n?: string;
  all?: boolean;
  tag?: string[];
  archived?: boolean;
}

const STATE_GROUPS: Record<string, TaskState[]> = {
  active: ["pending", "blocked", "running", "lost"],
  done: ["succeeded", "failed", "cancelled", "dep_failed", "unknown"],
};

export function parseStates(text: string | undefined): TaskState[] | null {
  if (text === undefined) return null;
  return text.split(",").flatMap((state) => {
    const group = STATE_GROUPS[state];
    if (group) return group;
    const parsed = TaskStateSchema.safeParse(state);
    if (!parsed.success) {
      throw new RvError("usage", `--state ${state}: unknown state`, {
        hint: `states: ${[...TaskStateSchema.options, ...Object.keys(STATE_GROUPS)].join(", ")}`,
      });
    }
    return [parsed.data];
  });
}

function checkName(text: string | undefined): string | null {
  if (text === undefined) return null;
  try {
    new RegExp(text);
  } catch (error) {
    throw new RvError("usage", `--name ${JSON.stringify(text)}: ${(error as Error).message}`);
  }
  return text;
}

const stateColor: Record<string, Color> = {
  pending: "dim",
  blocked: "dim",
  running: "blue",
  lost: "magenta",
  succeeded: "green",
  failed: "red",
  cancelled: "yellow",
  dep_failed: "red",
  unknown: "magenta",
};

export function commandText(view: TaskView): string {
  const text = "argv" in view.command ? view.command.argv.map(quoteForDisplay).join(" ") : view.command.shell;
  return text.replace(/\s+/g, " ");
}

/** An argument as a shell would need it, quoted only when it must be. */
export function quoteForDisplay(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`;
}

/** How long the task ran (or has been running), or `-` before it started. */
export function elapsed(view: Pick<TaskView, "startedAt" | "endedAt">, nowMs: number): string {
  if (!view.startedAt) return "-";
  const end = view.endedAt ? Date.parse(view.endedAt) : nowMs;
  return formatDuration(end - Date.parse(view.startedAt));
}

/** `2/3` for a task with --retry: this attempt, and the last one its retries allow; else the attempt alone. */
export function attemptText(view: Pick<TaskView, "attempt" | "retry">): string {
  if (!view.retry) return String(view.attempt);
  return `${view.attempt}/${view.attempt + view.retry.max - view.retry.retried}`;
}

/** A task and the place it lives: "local", or the cluster's name. */
export type PlacedTask = TaskView & { place: string };

/** `where` shows the place of each task: asked for when tasks from more than one place may be listed. */
export function renderTasks(ctx: Context, tasks: PlacedTask[], nowMs: number, where: boolean): string {
  const rows = tasks.map((t) => [
    t.id,
    ...(where ? [t.place] : []),
    cut(t.name ?? "-"),
    paint(ctx.io, stateColor[t.state] ?? "dim", t.state),
    attemptText(t),
    gpusText(t),
    elapsed(t, nowMs),
    cut(outcomeText(t), 60),
    cut(commandText(t), 60),
  ]);
  const header = ["id", ...(where ? ["where"] : []), "name", "state", "att", "gpus", "elapsed", "result", "command"];
  return renderTable(ctx.io, header, rows, ["name", "result", "command"]);
}

/**
 * `rv tasks`, `rv ps`: this machine's tasks and the cluster's (one round trip), newest last, each saying where it
 * lives; a cluster out of reach is reported and the rest still shown. `--json` of every task (`-n 0`) is written as
 * it is read: a history of any length is never held whole here.
 */
export async function runTasks(ctx: Context, options: TasksOptions): Promise<number> {
  const limit = options.all ? 0 : (parseCount("-n", options.n, 0) ?? 20);
  const input = {
    lease: options.lease ?? null,
    states: parseStates(options.state),
    name: checkName(options.name),
    tags: options.tag ?? [],
    limit,
    ...(options.archived && { archived: true }),
  };
  const places = placesFor(ctx, options.lease);
  const { reached, missing } = await gather(places, (place) => place.list(tasksOp, input));
  let total = 0;
  const lists = reached.map(({ place, value }) => placed(place, value, (n) => (total += n)));
  const merged = mergeSorted(
    lists.map((list) => list.tasks),
    (task) => task.id,
  );
  // A place's list holds the newest `limit` of its own: together, the newest `limit` of them all.
  const tasks = limit > 0 ? [...merged].slice(-limit) : merged;
  let exitCode = 0;
  if (ctx.json) {
    exitCode = await printJsonList(ctx.io, "tasks", tasks, () => ({ total }), { missing: missingJson(missing) });
  } else {
    const shown = [...tasks]; // every list read: `total` is whole
    printTasks(ctx, shown, total, missing);
  }
  for (const { place, seen } of lists) {
    if (place.kind === "cluster") await rememberClusterNames(ctx.root, place.name, { tasks: seen });
  }
  return exitCode;
}

/**
 * A place's tasks, each saying where it lives; `onTotal` hears the place's total once its tasks are read. A
 * cluster's are kept as they pass (`seen`: its answer is whole in memory anyway): the completion cache learns their
 * names.
 */
function placed(place: Place, listing: Listing<TaskView>, onTotal: (total: number) => void) {
  const seen: TaskView[] = [];
  function* tasks(): Generator<PlacedTask> {
    for (let next = listing.next(); ; next = listing.next()) {
      if (next.done) return onTotal(next.value);
      if (place.kind === "cluster") seen.push(next.value);
      yield { ...next.value, place: place.name };
    }
  }
  return { place, seen, tasks: tasks() };
}

function printTasks(ctx: Context, tasks: PlacedTask[], total: number, missing: Gathered<unknown>["missing"]): void {
  reportMissing(ctx, missing, "tasks");
  ctx.io.out(renderTasks(ctx, tasks, ctx.now().getTime(), ctx.cluster !== null));
  noteOlderNotShown(ctx.io, tasks.length, total, "-n 0 or --all for all");
}
