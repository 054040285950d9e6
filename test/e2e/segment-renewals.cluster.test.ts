import { describe } from "vitest";

// The leases that renew themselves across 2-minute segments: each file mostly waits for Slurm to end a segment and
// start the next (minutes, minute-granular walltimes), so both run at once in one worker instead of holding both.
// Each file has one test; a second test in one would run beside its first (describe.concurrent).
// One alone: npx vitest run test/e2e/segment-renewals.cluster.test.ts -t slurm-overlap
for (const file of ["slurm-renewal", "slurm-overlap"]) {
  describe.concurrent(file, async () => {
    await import(`./${file}.waits.ts`);
  });
}
