// Records parsed as a command parses them: with the parser settings every command sets before it builds a schema
// (interpreted parsers, no cycle support), set here before any record's schema is built (each on first use). The
// lazily built parts (a Slurm lease's request, the config's cluster tables) are checked when a record has them, and
// not skipped.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { interpretParsers } from "../../src/cli/zod-config.ts";
import { makeHome } from "../helpers/home.ts";
import { makeSlurmLease } from "../helpers/slurm-lease.ts";

beforeAll(() => interpretParsers());

const slurmLease = makeSlurmLease();

describe("records under a command's parser settings", () => {
  it("reads a local lease's record, and checks a Slurm lease's request field by field", async () => {
    const { LeaseSchema } = await import("../../src/fsqueue/schema.ts");
    const local = { v: 1, id: "L", kind: "local", createdAt: "2026-12-04T10:00:00.000Z", host: "h", state: "active" };
    expect(LeaseSchema.parse(local)).toEqual(local);
    expect(LeaseSchema.parse(slurmLease)).toEqual(slurmLease);
    const bad = LeaseSchema.safeParse({ ...slurmLease, request: { ...slurmLease.request, nodes: 0 } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(["request", "nodes"]);
    expect(LeaseSchema.safeParse({ ...slurmLease, request: undefined }).success).toBe(false);
  });

  describe("a config's cluster tables", () => {
    let home: ReturnType<typeof makeHome>;
    beforeEach(() => {
      home = makeHome();
    });
    afterEach(() => home.cleanup());

    it("are read when present and refused, with their line, when wrong", async () => {
      const { loadConfig } = await import("../../src/config/index.ts");
      expect(loadConfig(home.root, {}).clusters).toEqual({});
      const table = ["[clusters.dev]", 'host = "rv-dev"', 'user = "me"'];
      writeFileSync(join(home.root, "config.toml"), [...table, 'root = "/scratch/rv"', ""].join("\n"));
      expect(loadConfig(home.root, {}).clusters).toEqual({ dev: { host: "rv-dev", user: "me", root: "/scratch/rv" } });
      writeFileSync(join(home.root, "config.toml"), [...table, 'root = "scratch"', ""].join("\n"));
      expect(() => loadConfig(home.root, {})).toThrow(
        /config\.toml \(line 4\): clusters\.dev\.root: must be an absolute path on the cluster/,
      );
    });
  });
});
