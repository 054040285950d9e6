import { type Command, CommanderError } from "commander";
import { RvError } from "../errors.ts";
import { buildId, rvVersion } from "../ops/build-info.ts";
import { type Io, processIo } from "./io.ts";
import { printJson, reportedError } from "./output.ts";
import { buildProgram, type Dispatch } from "./program.ts";

/** `--cluster NAME` of the command about to run, read by the program's preAction hook. */
let clusterFlag: string | undefined;

/** The CLI boundary: the only place errors are caught, printed, and turned into exit codes. */
const dispatch: Dispatch = async (json, body) => {
  try {
    // Imported here, not at the top: reading the config loads zod, and `rv --version` or a usage error need none.
    (await import("./zod-config.ts")).interpretParsers();
    const { processContext } = await import("./context.ts");
    process.exitCode = await body(processContext(json === true, clusterFlag));
  } catch (error) {
    process.exitCode = reportError(json === true, error, processIo());
  }
};

function reportError(json: boolean, error: unknown, io: Io): number {
  const rv = reportedError(io, error);
  if (json) printJson(io, { error: rv.toRecord() });
  else io.err(`rv: error: ${rv.message}\n${rv.hint ? `  hint: ${rv.hint}\n` : ""}`);
  return rv.exitCode;
}

/** `--json` among the flags (not in a task's own argv after `--`): a flag error must answer in JSON too. */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  return (end < 0 ? argv : argv.slice(0, end)).includes("--json");
}

/**
 * Commander writes help, versions and its errors through rv's Io, not process.stdout (which costs every start its
 * stream stack, io.ts). With --json, its errors (unknown option, extra argument, unknown command) are kept for JSON.
 */
function routeOutput(command: Command, io: Io, json: boolean): void {
  command.configureOutput(
    json ? { writeOut: io.out, outputError: () => {}, writeErr: () => {} } : { writeOut: io.out, writeErr: io.err },
  );
  for (const sub of command.commands) routeOutput(sub, io, json);
}

async function main(): Promise<void> {
  process.umask(0o077);
  const json = wantsJson(process.argv.slice(2));
  const program = buildProgram(dispatch, `${rvVersion} (build ${buildId})`, process.argv[2]);
  routeOutput(program, processIo(), json);
  program.hook("preAction", (_program, command) => {
    const { cluster } = command.opts();
    // rv env's and rv notify's `--cluster` alone (no name) means the cluster in use.
    clusterFlag = typeof cluster === "string" ? cluster : undefined;
  });
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    if (error.exitCode === 0) {
      process.exitCode = 0;
      return;
    }
    const message = error.message.replace(/^error: /, "");
    const hint = "rv --help lists the commands; rv COMMAND --help lists a command's flags";
    process.exitCode = json ? reportError(true, new RvError("usage", message, { hint }), processIo()) : 2;
  }
}

main();
