import { describe } from "vitest";

// The files whose leases renew across minute-long segments: each mostly waits for Slurm to end a segment and start
// the next (minute-granular walltimes), so they run at once in one worker instead of holding both for minutes.
// Their tests run at once too (describe.concurrent): each keeps to its own leases, homes and jobs.
// One alone: npx vitest run test/e2e/segment-renewals.cluster.test.ts -t slurm-overlap
describe.concurrent("slurm-renewal", async () => {
  await import("./slurm-renewal.waits.ts");
});
describe.concurrent("slurm-overlap", async () => {
  await import("./slurm-overlap.waits.ts");
});
describe.concurrent("segment script", async () => {
  await import("../lease/script.waits.ts");
});
