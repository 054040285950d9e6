import { defineConfig } from "vitest/config";

// Tests that need the real Slurm dev cluster (or its sshd) are named *.cluster.test.ts. They form their own
// project, whose global setup brings the cluster up. RV_TEST_SLURM=off is the one way to leave them out.
const clusterTests = "test/**/*.cluster.test.ts";
// Files that need whole partitions in a known state (a backfill hole, a load on every GPU node): another file's
// job on one of those nodes breaks them. They run last, one at a time, with nothing else on the cluster.
// slurm-heal sets a node DOWN; slurm-shapes holds all but one of gpu-a6000's GPUs; slurm-parts holds every a6000 and
// a100 GPU (another file's job on one of them kept its blockers pending past their deadline in a full run); laptop
// runs its leases as labuser, whose queue cluster.cluster.test.ts expects empty while it runs.
const wholeClusterTests = [
  "test/e2e/slurm-alloc.cluster.test.ts",
  "test/e2e/slurm-recovery.cluster.test.ts",
  "test/e2e/slurm-heal.cluster.test.ts",
  "test/e2e/laptop.cluster.test.ts",
  "test/e2e/slurm-shapes.cluster.test.ts",
  "test/e2e/slurm-parts.cluster.test.ts",
];
const slurmOff = process.env.RV_TEST_SLURM === "off";
if (slurmOff) {
  console.warn("RV_TEST_SLURM=off: the Slurm and ssh tests (test/**/*.cluster.test.ts) are LEFT OUT of this run");
}

const shared = {
  testTimeout: 60_000,
  hookTimeout: 60_000,
  restoreMocks: true,
};

export default defineConfig({
  test: {
    // Two cores: multi-process tests compete for them, so files run two at a time at most.
    maxWorkers: 2,
    projects: [
      { test: { ...shared, name: "local", include: ["test/**/*.test.{ts,tsx}"], exclude: [clusterTests] } },
      ...(slurmOff
        ? []
        : [
            {
              test: {
                ...shared,
                name: "cluster",
                include: [clusterTests],
                exclude: wholeClusterTests,
                globalSetup: ["test/cluster/global-setup.ts"],
              },
            },
            {
              test: {
                ...shared,
                name: "cluster-whole",
                include: wholeClusterTests,
                globalSetup: ["test/cluster/global-setup.ts"],
                fileParallelism: false,
                sequence: { groupOrder: 1 },
              },
            },
          ]),
    ],
  },
});
