import { describe, expect, test } from "vitest";
import { parseSshare, shareOf } from "../../src/slurm/index.ts";
import { fixture } from "./fixture.ts";

describe("parseSshare", () => {
  test("the notes' sample: depth from leading spaces, empty FairShare, inf LevelFS", () => {
    expect(parseSshare(fixture("sshare.notes-tree.txt"))).toEqual({
      records: [
        {
          account: "lab",
          depth: 1,
          user: null,
          rawShares: 1,
          normShares: 0.333333,
          rawUsage: 0,
          normUsage: 0,
          effectiveUsage: 0,
          fairShare: null,
          levelFs: "inf",
          grpTresMins: null,
          tresRunMins: "cpu=0,mem=0,...,gres/gpu=0,gres/gpu:1g.10gb=0,gres/gpu:a100_80g=0,...",
        },
        {
          account: "lab",
          depth: 2,
          user: "root",
          rawShares: 1,
          normShares: 1,
          rawUsage: 0,
          normUsage: 0,
          effectiveUsage: 0,
          fairShare: 1,
          levelFs: "inf",
          grpTresMins: null,
          tresRunMins: "cpu=0,...",
        },
      ],
      issues: [],
    });
  });

  const { records, issues } = parseSshare(fixture("sshare.hand-tree.txt"));

  test("a whole tree: root, accounts, users, parent shares", () => {
    expect(records.map((r) => [r.depth, r.account, r.user, r.rawShares, r.fairShare, r.levelFs])).toEqual([
      [0, "root", null, null, null, null],
      [1, "lab", null, 1, null, 0.833333],
      [2, "lab", "root", 1, 0.5, 1],
      [1, "research", null, 1, null, 1.25],
      [2, "research", "labuser", "parent", 0.75, "inf"],
      [2, "research", "root", 1, 0, "inf"],
      [2, "research", "ghost", 1, 0, "inf"],
    ]);
    expect(records[3]?.grpTresMins).toBe("gres/gpu=6000");
  });

  test("a bad number is reported, the row kept", () => {
    expect(records[6]?.normShares).toBeNull();
    expect(issues).toMatchObject([{ where: "line 8", skipped: false, reason: 'NORMSHARES is not a number: "lots"' }]);
  });

  test("shareOf finds the user's row", () => {
    expect(shareOf(records, "root")?.account).toBe("lab");
    expect(shareOf(records, "root", "research")?.fairShare).toBe(0);
    expect(shareOf(records, "nobody")).toBeNull();
  });

  test("without accounting sshare prints the header alone", () => {
    expect(parseSshare("Account|User|RawShares|NormShares|RawUsage|EffectvUsage|FairShare\n")).toEqual({
      records: [],
      issues: [],
    });
  });
});
