import { describe, expect, test } from "vitest";
import type { RvError } from "../../src/errors.ts";
import { refuseWhatNoPartFits, warnWhileShapesRace } from "../../src/ops/publish.ts";
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

describe("a task submitted while a race of shapes is on is told which shape would leave it waiting", () => {
  /** The lease whole (4 GPUs), in halves (2 x 2), in 1-GPU parts (4 x 1), as `rv lease up --gpu 4 --parts auto` races them. */
  const entries = (
    [
      [1, 1, 4],
      [2, 2, 2],
      [2, 2, 2],
      [3, 4, 1],
      [3, 4, 1],
      [3, 4, 1],
      [3, 4, 1],
    ] as const
  ).map(([rank, parts, gpusPerNode], part) => ({
    rank,
    parts,
    refused: null as string | null,
    strategy: { gpusPerNode },
    part,
  }));
  const race = { shapes: true, entries } as unknown as Parameters<typeof warnWhileShapesRace>[1];
  const tasks = [
    { id: "one", gpus: 1 },
    { id: "two", gpus: 2 },
  ];

  test("a task larger than the smallest part raced is named, with the shape and the size that runs in any", () => {
    expect(warnWhileShapesRace("sweep", race, false, tasks)).toEqual([
      "task two asks for 2 GPUs while lease sweep races its shapes: should 4 x 1 GPU win, no part holds it and it waits (at most 1 runs in any shape)",
    ]);
  });

  test("nothing is said once a shape has claimed the lease, nor for a race of one shape", () => {
    expect(warnWhileShapesRace("sweep", race, true, tasks)).toEqual([]);
    expect(warnWhileShapesRace("sweep", { ...race, shapes: false }, false, tasks)).toEqual([]);
  });

  test("a shape whose jobs Slurm refused cannot win: the smallest of the others counts", () => {
    const refused = entries.map((e) => (e.parts === 4 ? { ...e, refused: "QOSMaxSubmitJobPerUserLimit" } : e));
    const halves = { ...race, entries: refused } as typeof race;
    expect(warnWhileShapesRace("sweep", halves, false, [...tasks, { id: "three", gpus: 3 }])).toEqual([
      "task three asks for 3 GPUs while lease sweep races its shapes: should 2 x 2 GPUs win, no part holds it and it waits (at most 2 runs in any shape)",
    ]);
  });
});
