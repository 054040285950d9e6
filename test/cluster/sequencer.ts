import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * The file that mostly waits on Slurm's minute-granular walltimes (segments that must end and renew): started first,
 * it waits while everything else runs. Vitest's own order (the last run's durations, else file size) cannot know it
 * on a fresh checkout, where it is a small file.
 */
const LONG_WAIT = "test/e2e/segment-renewals.cluster.test.ts";

/**
 * The order files are handed to the two workers: vitest's (project by project: the files that share the dev
 * cluster, then the one that needs it whole, then the local files, which run beside it), with the long wait first.
 */
export default class ClusterSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const isLongWait = (file: TestSpecification) => file.moduleId.endsWith(LONG_WAIT);
    return [...sorted.filter(isLongWait), ...sorted.filter((file) => !isLongWait(file))];
  }
}
