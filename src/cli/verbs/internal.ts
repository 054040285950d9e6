import type { Command } from "commander";
import { type Dispatch, withJson } from "./flags.ts";

/** Commands rv runs itself: the login-node end of a call, and a lease's runner. */
export function addInternalVerbs(program: Command, dispatch: Dispatch): void {
  program
    .command("rpc", { hidden: true })
    .description("the login-node end of the CLI's calls (JSON on stdin and stdout)")
    .action(async () => {
      // Like every command's (main.ts): one op, so parsers are interpreted, set before its schemas are built.
      (await import("../zod-config.ts")).interpretParsers();
      await (await import("../../ops/serve.ts")).serveRpc(process.env);
    });

  withJson(
    program
      .command("runner")
      .description("run a lease's runner in the foreground (rv lease up starts it for you)")
      .requiredOption("--lease <lease>", "the lease to serve")
      .option("--gpu-ids <ids>", "GPU ids to hand out, e.g. 0,1,2,3")
      .option("--cpus <n>", "CPUs to hand out")
      .option("--segment <segment>", "segment label recorded in heartbeats")
      .option("--segment-end <epoch-seconds>", "when the segment's job ends: longer --time-request tasks wait")
      .option("--take-over-from <segment>", "once running, tell that segment's runners to finish and exit (overlap)")
      .option(
        "--idle-release <duration>",
        "release the lease after this long with nothing pending or running (e.g. 30m)",
      ),
  ).action((opts) =>
    dispatch(opts.json, async (ctx) => (await import("../commands/runner.ts")).runRunnerCommand(ctx, opts)),
  );
}
