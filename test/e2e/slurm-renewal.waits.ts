import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { closeSshMaster, initLaptop, scancelByName } from "../helpers/cluster.ts";
import { makeHome } from "../helpers/home.ts";
import { json } from "../helpers/lease.ts";
import { assertBuilt, rv } from "../helpers/rv.ts";

// The heart of a lease: a sequential sweep of 200 s runs across at least three 2-minute segment jobs (each
// ends ~30-90 s early, when Slurm's USR1 comes) that renew themselves. Every task succeeds exactly once; the one running at the boundary is requeued and resumes
// from its checkpoint in the next segment; the gap between the segments is recorded. (About 5 minutes.)
const laptop = makeHome("rv-renew-laptop-");
const cluster = makeHome("rv-renew-cluster-");
const root = join(cluster.root, "root");
const work = join(cluster.root, "work");

beforeAll(async () => {
  assertBuilt();
  await execa("mkdir", ["-p", work]);
  await initLaptop(laptop.root, root, "rn");
});

afterAll(async () => {
  await scancelByName([0, 1, 2, 3].map((n) => `rv-chain-${n}`));
  await closeSshMaster(laptop.root, "rv-rn");
  laptop.cleanup();
  cluster.cleanup();
});

const counter = join(import.meta.dirname, "checkpoint-counter.sh");

describe("a lease that renews itself", () => {
  test("a sweep of 8 tasks spans three segments; none is lost or run twice at once", { timeout: 600_000 }, async () => {
    const up = await rv(laptop.root, [
      ...["lease", "up", "--partition", "gpu-a100-80", "--gpu", "1", "--segment", "2m", "--time", "8m"],
      ...["--name", "chain", "--json"],
    ]);
    expect(up.exitCode, up.stderr as string).toBe(0);
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      const submit = await rv(laptop.root, [
        ...["submit", "--json", "--lease", "chain", "--gpus", "1", "--checkpoint", "--name", `t${i}`, "--"],
        ...["bash", counter, join(work, `t${i}`)],
      ]);
      expect(submit.exitCode, submit.stderr as string).toBe(0);
      ids.push(json<{ tasks: { id: string }[] }>(submit.stdout as string).tasks[0]?.id ?? "?");
    }
    const wait = await rv(root, ["wait", ...ids, "--timeout", "8m"]);
    expect(wait.exitCode, `${wait.stdout}${wait.stderr}`).toBe(0);

    const logs = ids.map((_, i) =>
      readFileSync(join(work, `t${i}.log`), "utf8")
        .trim()
        .split("\n"),
    );
    for (const lines of logs) expect(lines.at(-1)).toMatch(/ done$/);
    const interrupted = logs.filter((lines) => lines.length > 1);
    expect(interrupted.length).toBeGreaterThanOrEqual(1);
    for (const lines of interrupted) {
      expect(lines[0]).toMatch(/^1 0 \d+ \d+ saved=\d+$/);
      expect(lines.at(-1)).toMatch(/^2 1 /); // the next attempt, told to resume
    }
    // one GPU: no two attempts overlap in time
    const spans = logs.flat().map((l) => l.split(" ").slice(2, 4).map(Number) as [number, number]);
    spans.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i]?.[0]).toBeGreaterThanOrEqual(spans[i - 1]?.[1] ?? 0);

    const show = await rv(laptop.root, ["lease", "show", "chain", "--json"]);
    const shown = json<{
      segments: { segment: { n: number; after: string | null } }[];
      gapsSeconds: (number | null)[];
    }>(show.stdout as string);
    const ns = shown.segments.map((s) => s.segment.n);
    expect(ns.length).toBeGreaterThanOrEqual(3);
    expect(ns).toEqual(ns.map((_, i) => i));
    for (const s of shown.segments.slice(1)) expect(s.segment.after).toMatch(/^\d+$/);
    // the renewal gap of each ended segment: recorded, and short (chain: the next job waits in the queue)
    const gaps = shown.gapsSeconds.slice(0, 2);
    for (const gap of gaps) expect(gap).not.toBeNull();
    for (const gap of gaps) expect(gap).toBeLessThan(30);
    const files = readdirSync(join(root, "leases", "chain", "segments"));
    for (const n of ns) expect(files).toEqual(expect.arrayContaining([`${n}.json`, `${n}.sh`]));
    await rv(laptop.root, ["lease", "release", "chain", "--now"]);
  });
});
