import type { Command } from "commander";
import { collect, type Dispatch, withJson } from "./flags.ts";

function withSyncFlags(command: Command): Command {
  return withJson(
    command
      .option("--dry-run", "list what would move, move nothing")
      .option("--delete", "remove files on the receiving side that the sending side no longer has"),
  );
}

/** Code and data between this machine and the cluster: rsync over rv's ssh connection. */
export function addSyncVerbs(program: Command, dispatch: Dispatch): void {
  const sync = program
    .command("sync")
    .description("code to the cluster and results back: rsync over rv's ssh connection (rv sync status says where)");
  const load = () => import("../commands/sync.ts");
  withSyncFlags(
    sync
      .command("push")
      .description(
        "push a project to its workspace on the cluster (.gitignore, .rvignore and heavy artefacts left out)",
      )
      .argument("[dir]", "the project (default: the nearest directory up with .git or rv.toml, else here)")
      .argument("[remote]", "the cluster path (default: <root>/workspaces/<dir's name>; relative: under workspaces/)")
      .option(
        "--include <pattern>",
        "take files that would be left out (repeatable), e.g. 'data/small/**'",
        collect,
        [],
      ),
  ).action((dir: string | undefined, remote: string | undefined, opts) =>
    dispatch(opts.json, async (ctx) => (await load()).runSyncPush(ctx, dir, remote, opts)),
  );
  withSyncFlags(
    sync
      .command("pull")
      .description("pull a path of the project's workspace (or an absolute cluster path) here")
      .argument("<remote>", "relative: in the project's workspace, landing at the same place here; or absolute")
      .argument("[dir]", "where it lands (default: the same relative path in the project)"),
  ).action((remote: string, dir: string | undefined, opts) =>
    dispatch(opts.json, async (ctx) => (await load()).runSyncPull(ctx, remote, dir, opts)),
  );
  withJson(
    sync
      .command("status")
      .description("the project's workspace on the cluster, its last push, and the code now")
      .argument("[dir]", "the project (default: as for push)"),
  ).action((dir: string | undefined, opts) =>
    dispatch(opts.json, async (ctx) => (await load()).runSyncStatus(ctx, dir)),
  );
  withSyncFlags(
    sync
      .command("watch")
      .description("push now, then again whenever files change (debounced), until Ctrl-C")
      .argument("[dir]", "the project (default: as for push)")
      .argument("[remote]", "the cluster path (default: as for push)")
      .option("--include <pattern>", "take files that would be left out (repeatable)", collect, []),
  ).action((dir: string | undefined, remote: string | undefined, opts) =>
    dispatch(false, async (ctx) => (await load()).runSyncWatch(ctx, dir, remote, opts)),
  );
}
