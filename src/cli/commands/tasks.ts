import type { Config } from "../../config/index.ts";
import { RvError } from "../../errors.ts";
import { leasePaths } from "../../fsqueue/index.ts";
import { readLeaseState, readTaskView, TaskStateSchema, type TaskView } from "../../lease/index.ts";
import type { Context } from "../context.ts";
import { parseCount } from "../flags.ts";
import { observerFor } from "../leases.ts";
import { type Color, formatDuration, paint, printJson, renderTable } from "../output.ts";
import { taskIndex } from "../refs.ts";
import { leasesInScope } from "../scope.ts";
import { gpusText } from "../ui/format.ts";

export interface TasksOptions {
  lease?: string;
  state?: string;
  name?: string;
  n?: string;
  all?: boolean;
}

const STATE_GROUPS: Record<string, string[]> = {
  active: ["pending", "running", "lost"],
  done: ["succeeded", "failed", "cancelled"],
};

/** Which tasks the flags select, newest last (the order people read a log in). */
export function selectTasks(
  tasks: TaskView[],
  filter: { states?: string[] | undefined; name?: RegExp | undefined },
): TaskView[] {
  return tasks.filter(
    (t) => (!filter.states || filter.states.includes(t.state)) && (!filter.name || filter.name.test(t.name ?? "")),
  );
}

export function parseStates(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  return text.split(",").flatMap((state) => {
    const group = STATE_GROUPS[state];
    if (group) return group;
    if (!TaskStateSchema.safeParse(state).success) {
      throw new RvError("usage", `--state ${state}: unknown state`, {
        hint: `states: ${[...TaskStateSchema.options, ...Object.keys(STATE_GROUPS)].join(", ")}`,
      });
    }
    return [state];
  });
}

function parseName(text: string | undefined): RegExp | undefined {
  if (text === undefined) return undefined;
  try {
    return new RegExp(text);
  } catch (error) {
    throw new RvError("usage", `--name ${JSON.stringify(text)}: ${(error as Error).message}`);
  }
}

const stateColor: Record<string, Color> = {
  pending: "dim",
  running: "blue",
  lost: "magenta",
  succeeded: "green",
  failed: "red",
  cancelled: "yellow",
};

export function commandText(view: TaskView): string {
  const text = "argv" in view.command ? view.command.argv.map(quoteForDisplay).join(" ") : view.command.shell;
  return text.replace(/\s+/g, " ");
}

function quoteForDisplay(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`;
}

function elapsed(view: TaskView, nowMs: number): string {
  if (!view.startedAt) return "-";
  const end = view.endedAt ? Date.parse(view.endedAt) : nowMs;
  return formatDuration(end - Date.parse(view.startedAt));
}

function outcome(view: TaskView): string {
  if (view.exitCode !== null && view.state !== "succeeded") return `exit ${view.exitCode}`;
  if (view.signal) return view.signal;
  return view.reason ?? "";
}

export function renderTasks(ctx: Context, tasks: TaskView[], nowMs: number): string {
  const rows = tasks.map((t) => [
    t.id,
    t.name ?? "-",
    paint(ctx.io, stateColor[t.state] ?? "dim", t.state),
    String(t.attempt),
    gpusText(t),
    elapsed(t, nowMs),
    outcome(t),
    commandText(t).slice(0, 60),
  ]);
  return renderTable(ctx.io, ["id", "name", "state", "att", "gpus", "elapsed", "result", "command"], rows);
}

export async function runTasks(ctx: Context, config: Config, options: TasksOptions): Promise<number> {
  const limit = options.all ? 0 : (parseCount("-n", options.n, 0) ?? 20);
  const filter = { states: parseStates(options.state), name: parseName(options.name) };
  const observer = observerFor(ctx, config);
  const leases = leasesInScope(ctx, config, options.lease);
  const filtered = filter.states !== undefined || filter.name !== undefined;
  const { tasks, total } =
    filtered || limit === 0
      ? readSelected(ctx, leases, observer, filter, limit)
      : readNewest(ctx, leases, observer, limit);
  if (ctx.json) {
    printJson(ctx.io, { tasks, total });
    return 0;
  }
  ctx.io.out(renderTasks(ctx, tasks, observer.nowMs));
  if (ctx.io.isTTY && tasks.length < total) {
    ctx.io.err(paint(ctx.io, "dim", `… ${total - tasks.length} older tasks not shown (-n 0 or --all for all)\n`));
  }
  if (ctx.io.isTTY && total === 0) ctx.io.err("no tasks\n");
  return 0;
}

type Observer = ReturnType<typeof observerFor>;

/** Filters need every record. */
function readSelected(
  ctx: Context,
  leases: string[],
  observer: Observer,
  filter: { states?: string[] | undefined; name?: RegExp | undefined },
  limit: number,
): { tasks: TaskView[]; total: number } {
  const all = leases.flatMap((lease) => readLeaseState(leasePaths(ctx.root, lease), observer).tasks);
  all.sort((a, b) => a.id.localeCompare(b.id));
  const shown = selectTasks(all, filter);
  return { tasks: limit > 0 ? shown.slice(-limit) : shown, total: shown.length };
}

/**
 * The default view reads only the newest records: ids sort by submit time, so directory listings alone
 * say which tasks are newest and how many there are, however long the history.
 */
function readNewest(
  ctx: Context,
  leases: string[],
  observer: Observer,
  limit: number,
): { tasks: TaskView[]; total: number } {
  const refs = taskIndex(ctx.root, leases);
  const tasks = refs
    .slice(-limit)
    .map((ref) => readTaskView(leasePaths(ctx.root, ref.lease), ref.id, observer))
    .filter((view): view is TaskView => view !== undefined);
  return { tasks, total: refs.length };
}
