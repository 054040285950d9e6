import { z } from "zod";
import { RvError } from "../../../errors.ts";
import type { ClusterSide } from "../side.ts";

/** The site profile's balance command (`allocations`): the laptop reads the profile, the login node runs it. */
export const BalanceArgsSchema = z.object({ argv: z.array(z.string().min(1)).min(1) });
export type BalanceArgs = z.infer<typeof BalanceArgsSchema>;

export interface BalanceResult {
  stdout: string;
}

/** Runs the balance command on the login node and returns what it printed, for the laptop to parse. */
export async function balanceOp(side: ClusterSide, args: BalanceArgs): Promise<BalanceResult> {
  const [result] = await side.remote.run([{ argv: args.argv }]);
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
