import { join, posix, relative, resolve } from "node:path";
import { RvError } from "../../errors.ts";
import { showOp, type TaskDetail } from "../../ops/index.ts";
import { plural } from "../../plural.ts";
import { projectRoot, runRsync } from "../../sync/index.ts";
import type { Context } from "../context.ts";
import { printJson } from "../output.ts";
import { onSelectedTasks } from "../route.ts";
import { planFor, syncCluster } from "./sync.ts";

export interface PullOptions {
  to?: string;
  lease?: string;
  dryRun?: boolean;
}

/**
 * Where a task's files land here: a task pushed with --sync, at the same place in the project as it ran in the
 * workspace (results beside the code that made them); any other, in `./<name or id>`.
 */
export function pullDestination(detail: Pick<TaskDetail, "code" | "view">, projectDir: string, cwd: string): string {
  const workspace = detail.code?.workspace;
  if (workspace && (detail.view.cwd === workspace || detail.view.cwd.startsWith(`${workspace}/`))) {
    return join(projectDir, ...posix.relative(workspace, detail.view.cwd).split("/").filter(Boolean));
  }
  return resolve(cwd, (detail.view.name ?? detail.view.id).replace(/[^A-Za-z0-9._=,-]/g, "_"));
}

async function detailOf(ctx: Context, ref: string, lease: string | undefined) {
  const selection = { refs: [ref], lease: lease ?? null, all: false, tags: [] };
  const { reached } = await onSelectedTasks(ctx, selection, (place, select) => place.call(showOp, { select }));
  const found = reached.find(({ value }) => value.task);
  if (!found?.value.task) throw new RvError("not_found", `no task matches ${JSON.stringify(ref)}`);
  return { place: found.place, detail: found.value.task };
}

/**
 * `rv pull TASK [PATH...]`: a cluster task's files back here: PATHs relative to its cwd, else what it declared with
 * --outputs, else its whole cwd. A task of this machine's leases needs nothing moved.
 */
export async function runPull(ctx: Context, ref: string, paths: string[], options: PullOptions): Promise<number> {
  const { place, detail } = await detailOf(ctx, ref, options.lease);
  if (place.kind === "local") {
    ctx.io.err(`rv: task ${detail.view.id} ran on this machine: its files are in ${detail.view.cwd}\n`);
    return 0;
  }
  const cluster = syncCluster(ctx);
  const to = resolve(options.to ?? pullDestination(detail, projectRoot(process.cwd()), process.cwd()));
  const only = paths.length > 0 ? paths : detail.outputs;
  const plan = planFor(ctx, cluster, {
    direction: "pull",
    local: to,
    remote: detail.view.cwd,
    dryRun: options.dryRun === true,
    includes: [],
    delete: false,
    only,
  });
  const changes = await runRsync(plan);
  const files = changes.filter((c) => c.what[1] === "f");
  if (ctx.json) printJson(ctx.io, { task: detail.view.id, from: detail.view.cwd, to, only, changes });
  else {
    if (options.dryRun) for (const change of changes) ctx.io.out(`${change.what} ${change.path}\n`);
    const what = only.length > 0 ? ` (${only.join(", ")})` : "";
    const verb = options.dryRun ? "would bring" : "brought";
    ctx.io.err(
      `rv: ${verb} ${plural(files.length, "file")} of task ${detail.view.id}${what} to ${relative(process.cwd(), to) || "."}\n`,
    );
  }
  return 0;
}

/** `rv logs --pull TASK [--to DIR]`: every attempt's stdout and stderr of a cluster task, copied here. */
export async function runLogsPull(ctx: Context, ref: string, options: PullOptions): Promise<number> {
  const { place, detail } = await detailOf(ctx, ref, options.lease);
  const logs = detail.attempts.flatMap((a) => [a.out, a.err]).filter((log) => log.exists);
  const dir = logs[0] ? posix.dirname(logs[0].file) : null;
  if (place.kind === "local" || dir === null) {
    const where = dir ?? "nowhere yet: it has not written any";
    ctx.io.err(
      `rv: task ${detail.view.id}'s logs are ${place.kind === "local" ? `on this machine, in ${where}` : where}\n`,
    );
    return 0;
  }
  const to = resolve(options.to ?? join("rv-logs", detail.view.id));
  const plan = planFor(ctx, syncCluster(ctx), {
    direction: "pull",
    local: to,
    remote: dir,
    dryRun: options.dryRun === true,
    includes: [],
    delete: false,
  });
  const changes = await runRsync(plan);
  if (ctx.json) printJson(ctx.io, { task: detail.view.id, from: dir, to, changes });
  else ctx.io.err(`rv: task ${detail.view.id}'s logs (${logs.length} files) in ${relative(process.cwd(), to)}\n`);
  return 0;
}
