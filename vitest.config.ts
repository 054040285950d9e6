import { defineConfig } from "vitest/config";
import ClusterSequencer from "./test/cluster/sequencer.ts";

// Tests that need the real Slurm dev cluster (or its sshd) are named *.cluster.test.ts. They form their own
// project, whose global setup brings the cluster up. RV_TEST_SLURM=off is the one way to leave them out.
const clusterTests = "test/**/*.cluster.test.ts";
// The files that need the cluster whole, gathered in one (its comment says why each): it runs alone on the cluster
// (test/cluster/cluster-lock.ts: the other cluster files share it), beside local files.
const wholeCluster = "test/e2e/whole-cluster.cluster.test.ts";
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
    sequence: { sequencer: ClusterSequencer },
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
                exclude: [wholeCluster],
                globalSetup: ["test/cluster/global-setup.ts"],
                setupFiles: ["test/cluster/cluster-turn.ts"],
                provide: { clusterUse: "shared" as const },
              },
            },
            {
              test: {
                ...shared,
                name: "cluster-whole",
                include: [wholeCluster],
                globalSetup: ["test/cluster/global-setup.ts"],
                setupFiles: ["test/cluster/cluster-turn.ts"],
                provide: { clusterUse: "whole" as const },
              },
            },
          ]),
    ],
  },
});
