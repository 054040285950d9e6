import { describe, expect, test } from "vitest";
import { parseSshare, SSHARE_ARGS, shareOf } from "../../src/slurm/index.ts";
import { fixture, live } from "./fixture.ts";

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

describe("parseSshare on live captures (Slurm 22.05.8)", () => {
  test("rv's own arguments: the tree, with LevelFS inf, and every TRES at zero run minutes", () => {
    expect(live("sshare").command).toBe(`sshare ${SSHARE_ARGS.join(" ")}`);
    const { records, issues } = parseSshare(live("sshare").stdout);
    expect(issues).toEqual([]);
    expect(records.map((r) => [r.depth, r.account, r.user, r.rawShares, r.normShares, r.fairShare, r.levelFs])).toEqual(
      [
        [0, "root", null, null, 0, null, null],
        [1, "root", "root", 1, 0.333333, 1, "inf"],
        [1, "lab", null, 1, 0.333333, null, "inf"],
        [2, "lab", "root", 1, 1, 1, "inf"],
        [1, "research", null, 1, 0.333333, null, "inf"],
        [2, "research", "root", 1, 0.5, 1, "inf"],
      ],
    );
    expect(records[3]?.tresRunMins).toContain("gres/gpu:a6000=0");
    expect(records[3]?.grpTresMins).toBeNull();
    // Without -a, sshare lists only the caller's (root's) associations.
    expect(shareOf(records, "labuser")).toBeNull();
  });

  test("-a lists every user's association; without -l the columns only -l prints are null", () => {
    const { records, issues } = parseSshare(live("sshare-a").stdout);
    expect(issues).toEqual([]);
    expect(shareOf(records, "labuser")).toMatchObject({
      account: "research",
      depth: 2,
      normShares: 0.5,
      fairShare: 1,
      normUsage: null,
      levelFs: null,
      tresRunMins: null,
    });
    expect(shareOf(records, "root", "lab")?.fairShare).toBe(1);
  });
});
