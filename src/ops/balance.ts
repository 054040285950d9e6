import { deferred } from "../deferred.ts";
import { RvError } from "../errors.ts";
import type { Remote } from "../remote/index.ts";
import { z } from "../zod.ts";
import { defineOp } from "./op.ts";

/** The site profile's balance command (`allocations`): the laptop reads the profile, the login node runs it. */
/** `rv cost`'s balance: the site profile's command run where Slurm is; the caller parses what it printed. */
export const balanceOp = defineOp({
  name: "balance",
  input: deferred(() => z.object({ argv: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)) })),
  result: deferred(() => z.object({ stdout: z.string() })),
  run: runBalance,
});

async function runBalance(env: { remote: Remote }, args: { argv: string[] }): Promise<{ stdout: string }> {
  const [result] = await env.remote.run([{ argv: args.argv }]);
  if (result?.exitCode === 0) return { stdout: result.stdout };
  const why = result?.exitCode === 127 ? "not found" : `exit ${result?.exitCode}`;
  const detail = result?.stderr.trim().split("\n").at(-1);
  throw new RvError(
    "cluster",
    `the balance command ${args.argv.join(" ")} failed (${why})${detail ? `: ${detail}` : ""}`,
    {
      hint: "the site profile's [balance] argv must run on the login node (docs/allocator.md)",
    },
  );
}
