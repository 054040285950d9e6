import { CommanderError } from "commander";
import { loadConfig } from "../config/index.ts";
import { RvError } from "../errors.ts";
import { buildId, rvVersion } from "./build-info.ts";
import { processContext } from "./context.ts";
import { printJson } from "./output.ts";
import { buildProgram, type Dispatch } from "./program.ts";

/** The CLI boundary: the only place errors are caught, printed, and turned into exit codes. */
const dispatch: Dispatch = async (json, body) => {
  const ctx = processContext(json === true);
  try {
    process.exitCode = await body(ctx, loadConfig(ctx.root, ctx.env));
  } catch (error) {
    process.exitCode = reportError(ctx.json, error, ctx.io);
  }
};

function reportError(json: boolean, error: unknown, io: ReturnType<typeof processContext>["io"]): number {
  const rv =
    error instanceof RvError
      ? error
      : new RvError("internal", error instanceof Error ? error.message : String(error), {
          hint: "this is a bug in rv; the stack trace is in RV_DEBUG=1 output",
        });
  if (process.env.RV_DEBUG && error instanceof Error) io.err(`${error.stack}\n`);
  if (json) printJson(io, { error: { code: rv.code, message: rv.message, hint: rv.hint ?? null } });
  else io.err(`rv: error: ${rv.message}\n${rv.hint ? `  hint: ${rv.hint}\n` : ""}`);
  return rv.exitCode;
}

async function main(): Promise<void> {
  process.umask(0o077);
  try {
    await buildProgram(dispatch, `${rvVersion} (build ${buildId})`).parseAsync(process.argv);
  } catch (error) {
    if (error instanceof CommanderError) process.exitCode = error.exitCode === 0 ? 0 : 2;
    else throw error;
  }
}

main();
