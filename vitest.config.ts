import { readdirSync } from "node:fs";
import { join } from "node:path";
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

// The tests of these folders call rv's modules in the test process. They share one module graph per worker
// (`isolate: false`, project `unit`): importing rv's modules afresh for each file was two thirds of their time (65 s
// -> 25 s for these 115 files). A file that mocks a module, or changes what a module reads once as it loads, shares
// nothing: list it in OWN_MODULES (project `local`, one module graph per file).
const UNIT_DIRS = "allocator architecture cli config fsqueue lease notify ops remote secrets slurm sync web".split(" ");
const OWN_MODULES = [
  "test/fsqueue/done-index.test.ts", // mocks node:fs
  "test/fsqueue/nfs-rename.test.ts", // mocks node:fs
  "test/cli/ui/ink.test.ts", // Ink reads CI once, as it loads
  "test/cli/zod-config.test.ts", // sets zod's parser settings for the process, as a command does
];
const unitTests = UNIT_DIRS.flatMap((dir) =>
  readdirSync(join("test", dir), { recursive: true, encoding: "utf8" }).map((f) => `test/${dir}/${f}`),
)
  .filter((f) => /\.test\.tsx?$/.test(f) && !f.endsWith(".cluster.test.ts") && !OWN_MODULES.includes(f))
  .sort();

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
      { test: { ...shared, name: "unit", include: unitTests, isolate: false } },
      {
        test: { ...shared, name: "local", include: ["test/**/*.test.{ts,tsx}"], exclude: [clusterTests, ...unitTests] },
      },
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
