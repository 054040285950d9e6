import { defineConfig } from "vitest/config";

// Tests that need the real Slurm dev cluster (or its sshd) are named *.cluster.test.ts. They form their own
// project, whose global setup brings the cluster up. RV_TEST_SLURM=off is the one way to leave them out.
const clusterTests = "test/**/*.cluster.test.ts";
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
                // One file at a time: the dev cluster's few nodes are shared, and a file that needs a partition
                // whole (a backfill hole, a load on every GPU node) fails when another file's job sits there.
                fileParallelism: false,
                globalSetup: ["test/cluster/global-setup.ts"],
              },
            },
          ]),
    ],
  },
});
