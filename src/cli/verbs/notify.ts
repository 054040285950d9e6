import { type Command, Option } from "commander";
import { type Dispatch, withJson } from "./flags.ts";

/** Where `rv notify` acts: this machine's leases, the cluster's, or (by default) both. */
function withPlaceFlags(command: Command): Command {
  return withJson(
    command
      .addOption(new Option("--local", "only this machine's settings (its local leases)").conflicts("cluster"))
      .option("--cluster [cluster]", "only a cluster's settings (its leases): the one in use, or NAME"),
  );
}

/** `rv notify`: be told when a task fails, a sweep ends, a lease starts, ends or is released for idleness. */
export function addNotifyVerbs(program: Command, dispatch: Dispatch): void {
  const notify = program
    .command("notify")
    .description("be told when a task fails, a sweep is done, a lease starts or ends: a webhook and/or a command");
  const run = async (verb: "set" | "show" | "test" | "off", opts: Record<string, unknown>) =>
    dispatch(Boolean(opts.json), async (ctx) => (await import("../commands/notify.ts")).runNotify(ctx, verb, opts));

  withPlaceFlags(
    notify
      .command("set")
      .description("set where notifications go and for which events (flags not given stay as they were)")
      .option("--webhook <url>", "POST each event to this URL ('-': read it from stdin, out of ps and history)")
      .option("--no-webhook", "stop posting to the webhook")
      .addOption(
        new Option("--format <format>", "the webhook's body (default: from its host)").choices([
          "slack",
          "ntfy",
          "json",
        ]),
      )
      .option("--command <cmd>", "run this shell line for each event: the event as JSON on stdin and RV_EVENT_*")
      .option("--no-command", "stop running the command")
      .option(
        "--on <events>",
        "task-failed, sweep-done, lease-started, lease-ended, lease-idle, or all (comma list; default all)",
      ),
  ).action((opts) => run("set", opts));
  withPlaceFlags(notify.command("show").description("the settings, with the webhook URL masked")).action((opts) =>
    run("show", opts),
  );
  withPlaceFlags(notify.command("test").description("send a test event now and say how the webhook answered")).action(
    (opts) => run("test", opts),
  );
  withPlaceFlags(notify.command("off").description("remove the settings: nothing is sent any more")).action((opts) =>
    run("off", opts),
  );
}
