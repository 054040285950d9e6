import type { Command } from "commander";
import { type Dispatch, withJson } from "./flags.ts";

/** `rv env`: secrets and settings every task gets as environment variables, kept encrypted on this machine. */
export function addEnvVerbs(program: Command, dispatch: Dispatch): void {
  const env = program
    .command("env")
    .description("secrets for tasks (API keys, tokens): encrypted here, given to each task as environment variables");
  const run = async (verb: "set" | "list" | "rm", args: string[], opts: Record<string, unknown>) =>
    dispatch(Boolean(opts.json), async (ctx) => (await import("../commands/env.ts")).runEnv(ctx, verb, args, opts));
  const scoped = (command: Command) =>
    withJson(
      command.option(
        "--cluster [cluster]",
        "only for tasks on a cluster's leases: the one in use, or NAME (default: every task)",
      ),
    );

  scoped(
    env
      .command("set")
      .description("set NAME; without VALUE it is read from stdin, or asked for without echo on a terminal")
      .argument("<name>", "an environment variable name, e.g. WANDB_API_KEY")
      .argument("[value]", "the value (it stays in your shell history: prefer stdin or the prompt)"),
  ).action((name: string, value: string | undefined, opts) =>
    run("set", value === undefined ? [name] : [name, value], opts),
  );
  scoped(env.command("list").description("the names set, their scope and when; values are never printed")).action(
    (opts) => run("list", [], opts),
  );
  scoped(
    env.command("rm").description("remove NAME (global, or the cluster's with --cluster)").argument("<name>"),
  ).action((name: string, opts) => run("rm", [name], opts));
}
