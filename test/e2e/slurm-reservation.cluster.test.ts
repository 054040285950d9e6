import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { LeaseReservation } from "../../src/lease/index.ts";
import { parseScontrolJobs, parseScontrolReservations, parseSqueue } from "../../src/slurm/index.ts";
import { closeSshMaster, initLaptop, scancelByName } from "../helpers/cluster.ts";
import { makeHome } from "../helpers/home.ts";
import { json } from "../helpers/lease.ts";
import { assertBuilt, rv } from "../helpers/rv.ts";
import { waitFor } from "../helpers/wait.ts";

// Walltime that respects the site (issue 17): a MAINT reservation on rtx3090-01, the one node of
// interactive-rtx3090, starting 5 minutes from now. A lease whose 20-minute segment would reach into it gets a
// segment 0 that ends before it starts, and a segment 1 held until it is over; `rv lease why` names it. The
// reservation lives only while this file runs (deleted in afterAll, long before it starts), and holds no node now.
const laptop = makeHome("rv-resv-laptop-");
const cluster = makeHome("rv-resv-cluster-");
const root = join(cluster.root, "root");
const run = process.pid % 100_000;
const lease = `maint-${run}`;
const RESERVATION = "rv-test-maint";
const SLURM_EPOCHS = { env: { SLURM_TIME_FORMAT: "%s" } };

const deleteReservation = () => execa("scontrol", ["delete", `ReservationName=${RESERVATION}`], { reject: false });

/** The reservation as Slurm has it now, times as epochs. */
async function reservation() {
  const shown = await execa("scontrol", ["show", "reservation", RESERVATION], SLURM_EPOCHS);
  const [r] = parseScontrolReservations(shown.stdout).records;
  if (r?.start.kind !== "at" || r.end.kind !== "at") throw new Error(`no ${RESERVATION}: ${shown.stdout}`);
  return { start: r.start.epoch, end: r.end.epoch };
}

interface Shown {
  segments: {
    segment: { n: number; jobId: string; wallSeconds: number; endsBefore?: { name: string }; beginsAfter?: unknown[] };
  }[];
}

async function show(): Promise<Shown> {
  const result = await rv(laptop.root, ["lease", "show", lease, "--json"]);
  expect(result.exitCode, result.stderr as string).toBe(0);
  return json<Shown>(result.stdout as string);
}

beforeAll(async () => {
  assertBuilt();
  await initLaptop(laptop.root, root, "resv");
  await deleteReservation(); // a run killed before its afterAll may have left it
  await execa("scontrol", [
    ...["create", "reservation", `ReservationName=${RESERVATION}`, "StartTime=now+5minutes", "Duration=10"],
    ...["Nodes=rtx3090-01", "Flags=MAINT", "Users=root"],
  ]);
});

afterAll(async () => {
  await rv(laptop.root, ["lease", "release", lease, "--now"]);
  await scancelByName([0, 1, 2].map((n) => `rv-${lease}-${n}`));
  await deleteReservation();
  await closeSshMaster(laptop.root, "rv-resv");
  laptop.cleanup();
  cluster.cleanup();
});

describe("a maintenance reservation ahead on the lease's nodes", () => {
  test("segment 0 ends before it starts, segment 1 begins after it ends, and rv lease why names it", async () => {
    const maint = await reservation();
    const up = await rv(laptop.root, [
      ...["lease", "up", "--partition", "interactive-rtx3090", "--gpu", "1", "--segment", "20m", "--time", "1h"],
      ...["--name", lease, "--json"],
    ]);
    expect(up.exitCode, up.stderr as string).toBe(0);

    // Segment 0: the walltime Slurm holds the job to ends before the reservation starts.
    const [first] = (await show()).segments;
    expect(first?.segment).toMatchObject({ n: 0, endsBefore: { name: RESERVATION } });
    const jobId = first?.segment.jobId ?? "";
    const limit = (await execa("squeue", ["-h", "-j", jobId, "-o", "%l"])).stdout.trim();
    expect(limit).toMatch(/^[1-4]:00$/); // whole minutes, under the 5 until the reservation
    const [job] = parseScontrolJobs((await execa("scontrol", ["show", "job", jobId], SLURM_EPOCHS)).stdout).records;
    expect(job?.state.kind).toBe("running");
    expect(job?.end?.kind === "at" && job.end.epoch).toBeLessThan(maint.start);

    // Segment 1, submitted by segment 0 as it started: held until the reservation is over, then the whole 20m.
    const second = await waitFor(async () => (await show()).segments.find((s) => s.segment.n === 1), {
      what: "segment 1",
      timeoutMs: 30_000,
      intervalMs: 500,
    });
    expect(second.segment).toMatchObject({ wallSeconds: 20 * 60, beginsAfter: [{ name: RESERVATION }] });
    const queued = await execa("squeue", ["-j", second.segment.jobId, "-o", "%i|%T|%r|%S|%e|%l|%b"], SLURM_EPOCHS);
    const [pending] = parseSqueue(queued.stdout).records;
    expect(pending?.state.kind).toBe("pending");
    expect(pending?.start?.kind === "at" && pending.start.epoch).toBeGreaterThanOrEqual(maint.end);

    const why = await rv(laptop.root, ["lease", "why", lease]);
    expect(why.exitCode, why.stderr as string).toBe(0);
    expect(why.stdout).toContain(`maintenance reservation ${RESERVATION} on rtx3090-01, from `);
    expect(why.stdout).toContain("rv cut segment 0 short to end before it starts");
    expect(why.stdout).toContain("rv holds segment 1 until it is over");

    const whyJson = await rv(laptop.root, ["lease", "why", lease, "--json"]);
    const { reservations } = json<{ reservations: LeaseReservation[] }>(whyJson.stdout as string);
    expect(reservations).toEqual([
      expect.objectContaining({
        name: RESERVATION,
        startEpoch: maint.start,
        endEpoch: maint.end,
        nodes: ["rtx3090-01"],
        maint: true,
        partitions: ["interactive-rtx3090"],
        endsBefore: [0],
        beginsAfter: [1],
      }),
    ]);

    const resources = await rv(laptop.root, ["resources", "--partition", "interactive-rtx3090", "--json"]);
    expect(json<{ reservations: unknown[] }>(resources.stdout as string).reservations).toEqual([
      expect.objectContaining({ name: RESERVATION, partitions: ["interactive-rtx3090"] }),
    ]);
  }, 120_000);

  test("rv lease extend fits the segment it submits to the reservation: it waits the reservation out", async () => {
    // A lease of one short segment that will not renew; the extension chains one after it, which would run into
    // the reservation: it is held until the reservation is over, as a renewal would be.
    const short = `${lease}-x`;
    const up = await rv(laptop.root, [
      ...["lease", "up", "--partition", "interactive-rtx3090", "--gpu", "1", "--segment", "20m", "--time", "3m"],
      ...["--name", short, "--json"],
    ]);
    expect(up.exitCode, up.stderr as string).toBe(0);
    try {
      const extended = await rv(laptop.root, ["lease", "extend", short, "--time", "20m", "--json"]);
      expect(extended.exitCode, extended.stderr as string).toBe(0);
      const { submitted } = json<{ submitted: Shown["segments"][number]["segment"] | null }>(extended.stdout as string);
      expect(submitted).toMatchObject({ n: 1, beginsAfter: [{ name: RESERVATION }] });
      const queued = await execa("squeue", ["-j", submitted?.jobId ?? "?", "-o", "%i|%T|%r|%S|%e|%l|%b"], SLURM_EPOCHS);
      const [pending] = parseSqueue(queued.stdout).records;
      expect(pending?.start?.kind === "at" && pending.start.epoch).toBeGreaterThanOrEqual((await reservation()).end);
    } finally {
      await rv(laptop.root, ["lease", "release", short, "--now"]);
      await scancelByName([0, 1].map((n) => `rv-${short}-${n}`));
    }
  }, 120_000);
});
