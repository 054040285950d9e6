import { execFileSync } from "node:child_process";
import { join } from "node:path";

/**
 * Vitest global setup of the `cluster` project: brings the project's own Slurm dev cluster up (idempotent,
 * a few seconds when it already runs) before any `*.cluster.test.ts` file. If it cannot, the run fails with
 * up.sh's own reason: those tests are never skipped silently (RV_TEST_SLURM=off leaves them out, and says so).
 */
export default function setup(): void {
  const script = join(import.meta.dirname, "up.sh");
  try {
    execFileSync(script, { stdio: ["ignore", "pipe", "pipe"], timeout: 15 * 60_000, encoding: "utf8" });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    const why = [e.stderr, e.stdout].filter(Boolean).join("\n").trim().split("\n").slice(-15).join("\n");
    throw new Error(
      `the Slurm dev cluster did not come up, so the cluster tests cannot run.\n${why || e.message}\n` +
        "Fix the cause above (up.sh needs root and apt on Debian 12), or set RV_TEST_SLURM=off to leave those tests out.",
    );
  }
}
