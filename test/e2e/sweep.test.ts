import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { json, useRvHome } from "../helpers/lease.ts";
import { rv } from "../helpers/rv.ts";

// What a sweep adds on a lease of this machine (the verbs themselves run against both places in
// verbs.cluster.test.ts): a cap on the points running at once, read back from the done records.
describe("rv sweep (built binary)", () => {
  const home = useRvHome();

  it("--dry-run on a machine with no lease starts none: it says it would, and lists every point", async () => {
    const dry = await rv(home.root, ["sweep", "--dry-run", "--", "echo", "{a,b}"]);
    expect(dry.exitCode, dry.stderr as string).toBe(0);
    expect(dry.stderr).toContain("rv: would start local lease local");
    expect(dry.stdout).toMatch(/2 points, would submit 2 to lease local/);
    expect(existsSync(join(home.root, "leases", "local"))).toBe(false);
    expect(String((await rv(home.root, ["lease", "ls"])).stdout)).toBe("");
  });

  it("--max-running 2: never more than 2 points run at once, though the lease has room for 4", async () => {
    const up = await rv(home.root, ["lease", "up", "--local", "--name", "wide", "--cpus", "4"]);
    expect(up.exitCode, up.stderr as string).toBe(0);
    const sweep = await rv(home.root, [
      ...["sweep", "--lease", "wide", "--max-running", "2", "--sweep", "capped", "--json"],
      ...["--", "sleep", "{0.6,0.61,0.62,0.63,0.64,0.65}"],
    ]);
    expect(sweep.exitCode, sweep.stderr as string).toBe(0);
    // An uncapped task of the same lease is not held back by the cap.
    const free = await rv(home.root, ["submit", "--lease", "wide", "--", "sleep", "0.5"]);
    expect(free.exitCode).toBe(0);
    const waited = await rv(home.root, ["wait", "--all", "--lease", "wide", "--timeout", "60s"]);
    expect(waited.exitCode, waited.stderr as string).toBe(0);

    type Shown = { tasks: { startedAt: string; endedAt: string }[] };
    const { tasks } = json<Shown>((await rv(home.root, ["sweep", "show", "capped", "--json"])).stdout as string);
    expect(tasks).toHaveLength(6);
    const edges = tasks.flatMap((t) => [
      { at: Date.parse(t.startedAt), change: 1 },
      { at: Date.parse(t.endedAt), change: -1 },
    ]);
    edges.sort((a, b) => a.at - b.at || a.change - b.change);
    let running = 0;
    let most = 0;
    for (const edge of edges) {
      running += edge.change;
      most = Math.max(most, running);
    }
    expect(most).toBe(2);
  });

  it("--max-running on rv submit caps the tasks of its first tag, and without a tag says what to give", async () => {
    const bare = await rv(home.root, ["submit", "--max-running", "2", "--", "true"]);
    expect(bare.exitCode).toBe(2);
    expect(bare.stderr).toContain("--max-running caps the tasks that share a tag: give the tasks one with --tag");
    const tagged = await rv(home.root, ["submit", "--tag", "prep", "--max-running", "1", "--json", "--", "true"]);
    expect(tagged.exitCode, tagged.stderr as string).toBe(0);
  });
});
