import { describe, expect, test } from "vitest";
import type { RvError } from "../../src/errors.ts";
import { refuseWhatNoPartFits } from "../../src/ops/publish.ts";
import { makeSlurmLease } from "../helpers/slurm-lease.ts";

const refusal = (gpusPerNode: number, parts: number | undefined, gpus: number[], nodes = 1): RvError | null => {
  const lease = makeSlurmLease({ request: { gpusPerNode, nodes, ...(parts !== undefined && { parts }) } });
  try {
    refuseWhatNoPartFits(
      lease,
      gpus.map((n, i) => ({ id: `t${i}`, gpus: n })),
    );
    return null;
  } catch (error) {
    return error as RvError;
  }
};

describe("a task no part of a lease of parts can hold is refused at submit", () => {
  test("4 parts of 1 GPU: a 1-GPU task goes in; a batch with a 2-GPU task is refused whole, with what fits", () => {
    expect(refusal(1, 4, [1, 1])).toBeNull();
    const error = refusal(1, 4, [1, 2]);
    expect(error?.code).toBe("cannot_run");
    expect(error?.exitCode).toBe(9);
    expect(error?.message).toBe(
      "a task asks for 2 GPUs, but lease sweep is 4 parts of 1 GPU each, and a task runs within one part: nothing was submitted",
    );
    expect(error?.hint).toBe("ask for at most 1 (--gpus 1), or use fewer --parts: such tasks fit a lease of --parts 2");
  });

  test("2 parts of 2: a 4-GPU task fits only a lease without parts", () => {
    expect(refusal(2, 2, [4])?.hint).toContain("such tasks fit a lease without --parts");
  });

  test("the hint counts every node of every part: 3 parts of 2 nodes x 1 GPU hold 6, so --parts 2 fits 2 GPUs", () => {
    expect(refusal(1, 3, [2], 2)?.hint).toContain("such tasks fit a lease of --parts 2");
  });

  test("a lease without parts keeps its warning: nothing is refused here", () => {
    expect(refusal(1, undefined, [8])).toBeNull();
    expect(refusal(1, 1, [8])).toBeNull();
  });
});
