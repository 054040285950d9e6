import type { Command } from "commander";
import type { Dispatch } from "./flags.ts";

/** The shell around rv: completion scripts, and the names they ask for as a person types. */
export function addShellVerbs(program: Command, dispatch: Dispatch): void {
  program
    .command("completions")
    .description("print a completion script for bash, zsh or fish (commands, flags, lease and task names)")
    .argument("<shell>", "bash, zsh or fish")
    .action((shell: string) =>
      dispatch(false, async (ctx) => (await import("../commands/completions.ts")).runCompletions(ctx, shell, program)),
    );

  program
    .command("__complete", { hidden: true })
    .description("the lease or task names a completion script offers, one `value<TAB>description` a line")
    .argument("<kind>", "leases, tasks or clusters")
    .argument("[prefix]", "only names that start with this", "")
    .action(async (kind: string, prefix: string) => {
      const [{ runComplete }, { rvHome }, { processIo }] = await Promise.all([
        import("../commands/completions.ts"),
        import("../../fsqueue/index.ts"),
        import("../io.ts"),
      ]);
      runComplete(rvHome(process.env), processIo(), kind, prefix);
    });
}
