import { join, posix, relative, resolve } from "node:path";
import type { ClusterConfig } from "../../config/index.ts";
import { RvError } from "../../errors.ts";
import { type Place, requireCluster, sshDir } from "../../ops/places.ts";
import type { TaskSpec } from "../../ops/taskspec.ts";
import { plural } from "../../plural.ts";
import { gitState } from "../../sync/git.ts";
import { readPushes, recordPush } from "../../sync/record.ts";
import { type Change, runRsync, type SyncPlan } from "../../sync/rsync.ts";
import { defaultWorkspace, projectRoot, workspaceCwd } from "../../sync/workspace.ts";
import type { Context } from "../context.ts";
import { printJson } from "../output.ts";
import { onInterrupt } from "../sink.ts";

export interface SyncOptions {
  dryRun?: boolean;
  include?: string[];
  delete?: boolean;
}

/** The cluster a sync reaches: a configured one, over ssh (on the login node itself there is nothing to sync). */
export function syncCluster(ctx: Context): ClusterConfig {
  const cluster = requireCluster(ctx.config);
  if (cluster.host === "local") {
    throw new RvError("usage", "rv runs on the cluster's login node here: there is nothing to sync", {
      hint: "rv sync runs on your laptop, with a cluster set up by rv init",
    });
  }
  return cluster;
}

/** A remote path as given: absolute as is, relative under the cluster root's workspaces/. */
function remotePath(cluster: ClusterConfig, given: string | undefined, local: string): string {
  if (given === undefined) return defaultWorkspace(cluster.root, local);
  return given.startsWith("/") ? posix.normalize(given) : posix.join(cluster.root, "workspaces", given);
}

export function planFor(ctx: Context, cluster: ClusterConfig, how: Omit<SyncPlan, "host" | "sshConfig">): SyncPlan {
  return { ...how, host: cluster.host, sshConfig: join(sshDir(ctx.root), "config") };
}

/**
 * Pushes a project to its workspace on the cluster and remembers it (`rv sync status`); `rv submit --sync` calls
 * this too. Returns where it went and what it moved.
 */
export async function pushProject(
  ctx: Context,
  given: { dir?: string; remote?: string },
  options: SyncOptions,
): Promise<{ local: string; remote: string; changes: Change[]; code: Awaited<ReturnType<typeof gitState>> }> {
  const cluster = syncCluster(ctx);
  const local = resolve(given.dir ?? projectRoot(process.cwd()));
  const remote = remotePath(cluster, given.remote, local);
  const plan = planFor(ctx, cluster, {
    direction: "push",
    local,
    remote,
    dryRun: options.dryRun === true,
    includes: options.include ?? [],
    delete: options.delete === true,
  });
  const [changes, code] = await Promise.all([runRsync(plan), gitState(local)]);
  if (!plan.dryRun) {
    const at = ctx.now().toISOString();
    const files = changes.filter((c) => c.what[1] === "f").length;
    recordPush(ctx.root, local, {
      cluster: cluster.name,
      remote,
      at,
      files,
      ...(code ?? { commit: null, dirty: false }),
    });
  }
  return { local, remote, changes, code };
}

export async function runSyncPush(
  ctx: Context,
  dir: string | undefined,
  remote: string | undefined,
  options: SyncOptions,
): Promise<number> {
  const pushed = await pushProject(ctx, { ...(dir && { dir }), ...(remote && { remote }) }, options);
  report(ctx, "push", pushed, options);
  return 0;
}

/** `rv sync pull REMOTE [DIR]`: a relative REMOTE is taken in the project's workspace, and lands at the same place here. */
export async function runSyncPull(
  ctx: Context,
  remote: string,
  dir: string | undefined,
  options: SyncOptions,
): Promise<number> {
  const cluster = syncCluster(ctx);
  const root = projectRoot(process.cwd());
  const from = remote.startsWith("/")
    ? posix.normalize(remote)
    : posix.join(defaultWorkspace(cluster.root, root), remote);
  const local = resolve(dir ?? (remote.startsWith("/") ? posix.basename(from) : join(root, remote)));
  const plan = planFor(ctx, cluster, {
    direction: "pull",
    local,
    remote: from,
    dryRun: options.dryRun === true,
    includes: [],
    delete: options.delete === true,
  });
  const changes = await runRsync(plan);
  report(ctx, "pull", { local, remote: from, changes, code: null }, options);
  return 0;
}

function report(
  ctx: Context,
  direction: "push" | "pull",
  moved: { local: string; remote: string; changes: Change[]; code: Awaited<ReturnType<typeof gitState>> },
  options: SyncOptions,
): void {
  const files = moved.changes.filter((c) => c.what[1] === "f");
  if (ctx.json) {
    printJson(ctx.io, { direction, dryRun: options.dryRun === true, ...moved });
    return;
  }
  if (options.dryRun) for (const change of moved.changes) ctx.io.out(`${change.what} ${change.path}\n`);
  const where = direction === "push" ? `${moved.local} -> ${moved.remote}` : `${moved.remote} -> ${moved.local}`;
  const verb = options.dryRun ? "would move" : "moved";
  const code = moved.code?.commit
    ? ` (at ${moved.code.commit.slice(0, 10)}${moved.code.dirty ? ", with changes not committed" : ""})`
    : "";
  ctx.io.err(`rv: ${verb} ${plural(files.length, "file")}: ${where}${code}\n`);
}

/** `rv sync status`: this project's workspace on the cluster, and its last push. */
export async function runSyncStatus(ctx: Context, dir: string | undefined): Promise<number> {
  const cluster = syncCluster(ctx);
  const local = resolve(dir ?? projectRoot(process.cwd()));
  const last = readPushes(ctx.root)[local] ?? null;
  const remote = last?.remote ?? defaultWorkspace(cluster.root, local);
  const code = await gitState(local);
  const status = { local, cluster: cluster.name, remote, lastPush: last, code };
  if (ctx.json) {
    printJson(ctx.io, status);
    return 0;
  }
  const lines = [
    `project    ${local}`,
    `workspace  ${cluster.name}:${remote}`,
    `last push  ${last ? `${last.at}, ${last.files} files${last.commit ? ` at ${last.commit.slice(0, 10)}${last.dirty ? " (dirty)" : ""}` : ""}` : "never"}`,
    `code now   ${code ? `${code.commit?.slice(0, 10) ?? "no commit yet"}${code.dirty ? " with changes not committed" : ""}` : "not a git work tree"}`,
  ];
  ctx.io.out(`${lines.join("\n")}\n`);
  return 0;
}

/** How long a change settles before a push: an editor's save, a branch switch, come as a burst of events. */
const WATCH_DEBOUNCE_MS = 500;

/** `rv sync watch [DIR] [REMOTE]`: pushes now, then again after each burst of changes, until Ctrl-C. */
export async function runSyncWatch(
  ctx: Context,
  dir: string | undefined,
  remote: string | undefined,
  options: SyncOptions,
): Promise<number> {
  const given = { ...(dir && { dir }), ...(remote && { remote }) };
  const interrupt = onInterrupt();
  const { watch } = await import("chokidar");
  const local = resolve(dir ?? projectRoot(process.cwd()));
  const skipped = /(^|\/)(\.git|\.venv|venv|__pycache__|node_modules|wandb)(\/|$)/;
  const watcher = watch(local, { ignoreInitial: true, ignored: (path) => skipped.test(relative(local, path)) });
  // Watching before the first push, and ready before saying so: a change made during either is pushed too.
  await new Promise<void>((ready) => watcher.once("ready", () => ready()));
  let timer: NodeJS.Timeout | undefined;
  let pushing = Promise.resolve();
  const push = () => {
    pushing = pushing
      .then(async () => {
        const pushed = await pushProject(ctx, given, options);
        if (pushed.changes.some((c) => c.what[1] === "f")) report(ctx, "push", pushed, options);
      })
      .catch((error: unknown) =>
        ctx.io.err(`rv: push failed: ${error instanceof Error ? error.message : String(error)}\n`),
      );
  };
  watcher.on("all", () => {
    clearTimeout(timer);
    timer = setTimeout(push, WATCH_DEBOUNCE_MS);
  });
  try {
    report(ctx, "push", await pushProject(ctx, given, options), options); // a first push that fails ends the watch
  } catch (error) {
    await watcher.close();
    interrupt.done();
    throw error;
  }
  ctx.io.err(`rv: watching ${local}; Ctrl-C stops\n`);
  await new Promise<void>((done) => interrupt.signal.addEventListener("abort", () => done(), { once: true }));
  clearTimeout(timer);
  await watcher.close();
  await pushing;
  interrupt.done();
  return 0;
}

/**
 * `rv submit --sync`: the project pushed to its workspace (a cluster lease), and each task run there, at the same
 * place relative to the project as here (a relative `--cwd` taken from there), recording the code it runs. A lease
 * on this machine runs the project where it is: nothing moves, the code is recorded all the same.
 */
export async function syncedSpecs(ctx: Context, place: Place, specs: TaskSpec[]): Promise<TaskSpec[]> {
  const cwd = process.cwd();
  if (place.kind === "local") {
    const code = await gitState(projectRoot(cwd));
    ctx.io.err("rv: --sync: the lease runs on this machine, in the project as it is: nothing to push\n");
    return specs.map((spec) => ({ ...spec, code: { ...(code ?? NO_GIT), workspace: null } }));
  }
  const pushed = await pushProject(ctx, {}, {});
  report(ctx, "push", pushed, {});
  const here = workspaceCwd(pushed.remote, pushed.local, cwd);
  const code = { ...(pushed.code ?? NO_GIT), workspace: pushed.remote };
  return specs.map((spec) => ({
    ...spec,
    cwd: spec.cwd === undefined ? here : posix.isAbsolute(spec.cwd) ? spec.cwd : posix.join(here, spec.cwd),
    code,
  }));
}

const NO_GIT = { commit: null, dirty: false };
