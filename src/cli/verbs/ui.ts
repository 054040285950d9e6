import type { Command } from "commander";
import { type Dispatch, withJson } from "./flags.ts";

/** `rv ui`: the web page of the leases, tasks, sweeps and the cluster, served here. */
export function addUi(program: Command, dispatch: Dispatch): void {
  withJson(
    program
      .command("ui")
      .description(
        "serve a web page of leases, tasks, sweeps and the cluster's GPUs (local, and the cluster's over ssh) until Ctrl-C",
      )
      .option("--port <port>", "the port to listen on (default: any free one)")
      .option("--host <host>", "the address to listen on (default 127.0.0.1: this machine only)")
      .option("--open", "open the page in a browser ($BROWSER, else xdg-open or open)"),
  ).action((opts: { port?: string; host?: string; open?: boolean; json?: boolean }) =>
    dispatch(opts.json === true, async (ctx) => (await import("../commands/ui.ts")).runUi(ctx, opts)),
  );
}
