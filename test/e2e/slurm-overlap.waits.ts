import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { leasePaths, readDoneOne, readHeartbeats } from "../../src/fsqueue/index.ts";
import { closeSshMaster, initLaptop, scancelByName } from "../helpers/cluster.ts";
import { makeHome } from "../helpers/home.ts";
import { json } from "../helpers/lease.ts";
import { assertBuilt, rv } from "../helpers/rv.ts";
import { waitFor } from "../helpers/wait.ts";

// Overlap renewal: segment 1 is queued to begin 2 minutes before segment 0's end. When it starts, its runner
// takes the inbox over while segment 0 still runs a task; segment 0 finishes that task, exits, and its job
// ends early. 4-minute segments, so that the takeover (at ~2 min) comes before the earliest USR1 of segment 0
// (lead 60 s, which Slurm may deliver 30 s earlier still: at ~2.5 min). About 2.5 minutes.
const laptop = makeHome("rv-overlap-laptop-");
const cluster = makeHome("rv-overlap-cluster-");
const root = join(cluster.root, "root");
const work = join(cluster.root, "work");
const LEASE = `overlap-${process.pid}`;

beforeAll(async () => {
  assertBuilt();
  await execa("mkdir", ["-p", work]);
  await initLaptop(laptop.root, root, "ov");
});

afterAll(async () => {
  await scancelByName([0, 1, 2].map((n) => `rv-${LEASE}-${n}`));
  await closeSshMaster(laptop.root, "rv-ov");
  laptop.cleanup();
  cluster.cleanup();
});

async function submit(name: string, argv: string[]): Promise<string> {
  const result = await rv(laptop.root, [
    "submit",
    "--json",
    "--lease",
    LEASE,
    "--gpus",
    "1",
    "--name",
    name,
    "--",
    ...argv,
  ]);
  expect(result.exitCode, result.stderr as string).toBe(0);
  return json<{ tasks: { id: string }[] }>(result.stdout as string).tasks[0]?.id ?? "?";
}

interface Shown {
  segments: {
    segment: { n: number; after: string | null; overlapSeconds?: number; beginAt?: string; submittedAt: string };
    job: { state: { raw: string } | null };
  }[];
  gapsSeconds: (number | null)[];
  overlapsSeconds: (number | null)[];
}

describe("a lease that renews by overlap", () => {
  test("the next segment takes the inbox over; the old one finishes its task and ends early", {
    timeout: 420_000,
  }, async () => {
    const up = await rv(laptop.root, [
      ...["lease", "up", "--partition", "gpu-a6000", "--gpu", "1", "--segment", "4m", "--time", "6m"],
      ...["--renewal", "overlap", "--overlap", "2m", "--name", LEASE, "--json"],
    ]);
    expect(up.exitCode, up.stderr as string).toBe(0);
    const release = join(work, "release");
    const long = await submit("long", ["bash", "-c", `until [ -e ${release} ]; do sleep 0.5; done`]);
    // Segment 0's one GPU is busy with `long`: these wait for segment 1's.
    const short = [await submit("s0", ["sleep", "1"]), await submit("s1", ["sleep", "1"])];
    const p = leasePaths(root, LEASE);
    const wait = await rv(root, ["wait", ...short, "--timeout", "4m"]);
    expect(wait.exitCode, `${wait.stdout}${wait.stderr}`).toBe(0);

    const segmentOf = (runner: string | null | undefined) =>
      readHeartbeats(p).find((hb) => hb.runner === runner)?.segment;
    for (const id of short) expect(segmentOf(readDoneOne(p, id)?.runner)).toBe("1");
    const old = readHeartbeats(p).find((hb) => hb.segment === "0");
    expect(old?.state, "segment 0 stopped claiming when segment 1 started").toBe("draining");
    expect(readDoneOne(p, long)).toBeUndefined();

    writeFileSync(release, "");
    const longWait = await rv(root, ["wait", long, "--timeout", "1m"]);
    expect(longWait.exitCode, `${longWait.stdout}${longWait.stderr}`).toBe(0);
    const longDone = readDoneOne(p, long);
    expect(longDone).toMatchObject({ state: "succeeded", task: { attempt: 1 } });
    expect(segmentOf(longDone?.runner)).toBe("0");

    const out0 = join(p.segments, "0.out");
    await waitFor(() => existsSync(out0) && readFileSync(out0, "utf8").includes("runner step ended"), {
      timeoutMs: 30_000,
      what: "segment 0's job to end",
    });
    expect(readFileSync(out0, "utf8")).toContain("exited (handed-over)");
    const shown = await waitFor(
      async () => {
        const show = await rv(laptop.root, ["lease", "show", LEASE, "--json"]);
        const s = json<Shown>(show.stdout as string);
        return s.overlapsSeconds[0] !== null && s.overlapsSeconds[0] !== undefined ? s : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 3000, what: "lease show to see segment 0 ended" },
    );
    expect(shown.segments.map((s) => s.segment.n)).toEqual([0, 1]);
    // Segment 0 waited seconds in the idle queue: the chosen 2m stands (a longer wait would lengthen it).
    expect(shown.segments[1]?.segment).toMatchObject({ after: null, overlapSeconds: 120 });
    // Its begin time is on record, so its own queue wait can be counted when it renews.
    const second = shown.segments[1]?.segment;
    expect(Date.parse(second?.beginAt ?? "")).toBeGreaterThan(Date.parse(second?.submittedAt ?? ""));
    expect(shown.segments[0]?.job.state?.raw).toBe("COMPLETED");
    expect(shown.gapsSeconds[0]).toBe(0);
    expect(shown.overlapsSeconds[0]).toBeGreaterThan(0);
    await rv(laptop.root, ["lease", "release", LEASE, "--now"]);
  });
});
