import { describe } from "vitest";

// The files that need whole partitions of the dev cluster in a known state (a backfill hole, a load on every GPU
// node): another file's job on one of those nodes breaks them. They run one after another in this one file, which
// holds the cluster alone (test/cluster/cluster-turn.ts) while the other worker runs local files. Each keeps its
// own hooks (its describe). One alone: npx vitest run test/e2e/whole-cluster.cluster.test.ts -t slurm-heal
// slurm-heal sets a node DOWN; slurm-shapes holds all but one of gpu-a6000's GPUs; slurm-parts holds every a6000 and
// a100 GPU (another file's job on one of them kept its blockers pending past their deadline in a full run); laptop
// runs its leases as labuser, whose queue cluster.cluster.test.ts expects empty while it runs.
const files = ["slurm-alloc", "slurm-recovery", "slurm-heal", "laptop", "slurm-shapes", "slurm-parts"];
for (const file of files) {
  describe(file, async () => {
    await import(`./${file}.whole.ts`);
  });
}
