import { describe, expect, it } from "vitest";
import { parseBalance } from "../../src/allocator/balance.ts";
import { costOf } from "../../src/allocator/cost.ts";
import { loadProfile } from "../../src/allocator/profile/load.ts";
import type { SiteProfile } from "../../src/allocator/profile/schema.ts";

const rivanna = loadProfile("rivanna") as SiteProfile;
const columns = { accountColumn: "Account", availableColumn: "Available" };

/** What `allocations` prints on the seed cluster: a preamble, a header, a rule, one row per account. */
const allocations = `Allocations available to Jane Doe (jd4x):

 * for more information about the allocation, run "allocations -a <allocation_name>"

Account                      Balance        Reserved       Available
-----------------           ---------      ---------      ---------
smithlab_paid              1,250,000.000     48,853.440   1,201,146.560
smithlab                      98,765.432          0.000      98,765.432
`;

describe("costOf", () => {
  it("charges GPUs x hours x the type's rate", () => {
    expect(costOf(rivanna, { gpus: 4, type: "a100_80", seconds: 24 * 3600 })).toEqual({
      type: "a100_80",
      partition: "gpu-a100-80",
      gpus: 4,
      seconds: 86400,
      gpuHours: 96,
      suPerGpuHour: 508.89,
      su: 48853.44,
      limits: [],
    });
  });

  it("names the site's limits a request is beyond", () => {
    expect(costOf(rivanna, { gpus: 40, type: "a100_80", seconds: 3600 }).limits).toEqual([
      "one job may hold at most 8 a100_80 GPUs",
      "one user may run at most 32 a100_80 GPUs at once",
      "one user may run at most 32 GPUs at once across the GPU partitions",
    ]);
    expect(costOf(rivanna, { gpus: 2, type: "mig", seconds: 3600 }).limits).toEqual([
      "one job may hold at most 1 mig GPUs",
    ]);
  });

  it("rounds to hundredths and charges nothing for a free pool", () => {
    expect(costOf(rivanna, { gpus: 1, type: "a6000", seconds: 10740 }).su).toBe(425.81);
    expect(costOf(rivanna, { gpus: 1, type: "mig", seconds: 3 * 86400 }).su).toBe(0);
  });

  it("names the profile's types when asked for one it does not have", () => {
    expect(() => costOf(rivanna, { gpus: 1, type: "h100", seconds: 3600 })).toThrow(
      expect.objectContaining({
        code: "usage",
        message: expect.stringContaining('no GPU type "h100"'),
        hint: "its types: mig, rtx3090, a6000, a40, a100_40, a100_80, v100, h200",
      }),
    );
  });
});

describe("parseBalance", () => {
  it("finds the account's row under a preamble and a rule, and reads numbers with commas", () => {
    expect(parseBalance(allocations, columns, "smithlab_paid")).toEqual({
      account: "smithlab_paid",
      availableSu: 1201146.56,
    });
    expect(parseBalance(allocations, columns, "SmithLab")).toEqual({ account: "smithlab", availableSu: 98765.432 });
  });

  it("takes the only row when no account is named, and asks for one among several", () => {
    const one = "Account Balance Reserved Available\nsmithlab 10 0 10\n";
    expect(parseBalance(one, columns, undefined)).toEqual({ account: "smithlab", availableSu: 10 });
    expect(() => parseBalance(allocations, columns, undefined)).toThrow(
      expect.objectContaining({ code: "ambiguous", hint: expect.stringContaining("smithlab_paid, smithlab") }),
    );
  });

  it("reads a |-separated table too", () => {
    const piped = "Account|Balance|Reserved|Available\nsmithlab|2,000|0|1,500.5\n";
    expect(parseBalance(piped, columns, "smithlab")).toEqual({ account: "smithlab", availableSu: 1500.5 });
  });

  it("names an account that is not there, and a table without the profile's columns", () => {
    expect(() => parseBalance(allocations, columns, "otherlab")).toThrow(
      expect.objectContaining({ code: "not_found", hint: "its accounts: smithlab_paid, smithlab" }),
    );
    expect(() => parseBalance(allocations, { ...columns, availableColumn: "Free" }, "smithlab")).toThrow(
      expect.objectContaining({ code: "cluster", message: expect.stringContaining("Account and Free") }),
    );
  });
});
