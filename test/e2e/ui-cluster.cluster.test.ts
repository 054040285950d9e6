import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { launchChromium, screenshot, startUi, type UiServer } from "../helpers/browser.ts";
import { closeSshMaster, initLaptop, scancelByName } from "../helpers/cluster.ts";
import { makeHome } from "../helpers/home.ts";
import { assertBuilt, rv } from "../helpers/rv.ts";

// `rv ui` on a laptop watching a Slurm lease on the dev cluster through the loopback sshd, in chromium: the
// lease's page draws its segments from what `rv lease show` reads across ssh, and the cluster's page its GPUs and
// the allocator's race for the lease.
const laptop = makeHome("rv-uic-laptop-");
const cluster = makeHome("rv-uic-cluster-");
const root = join(cluster.root, "root");
const CLUSTER = "uic";
const LEASE = "uic";

let server: UiServer;
let start: Awaited<ReturnType<typeof startUi>>["start"];
let browser: Browser;
let page: Page;
const eventually = <T>(look: () => Promise<T>, timeout = 60_000) => expect.poll(look, { timeout, interval: 500 });
const origin = () => `http://127.0.0.1:${start.port}`;

beforeAll(async () => {
  assertBuilt();
  browser = await launchChromium();
  await initLaptop(laptop.root, root, CLUSTER);
  const up = await rv(laptop.root, [
    // a CPU-only lease on the standard partition: other test files count the GPU partitions' GPUs meanwhile
    ...["lease", "up", "--partition", "standard", "--gpu", "0", "--cpus", "1", "--time", "20m", "--segment", "10m"],
    ...["--name", LEASE],
  ]);
  expect(up.exitCode, String(up.stderr)).toBe(0);
  ({ server, start } = await startUi(laptop.root));
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(start.url);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  server?.kill("SIGTERM");
  await server;
  await rv(laptop.root, ["lease", "release", LEASE, "--now"]);
  await scancelByName([`rv-${LEASE}-0`, `rv-${LEASE}-1`]);
  await closeSshMaster(laptop.root, `rv-${CLUSTER}`);
  laptop.cleanup();
  cluster.cleanup();
});

describe("rv ui across ssh", () => {
  test("the dashboard lists the cluster's lease; its page shows its segments on a timeline", async () => {
    const row = page.locator(`tr[data-lease="${LEASE}"]`);
    await eventually(() => row.textContent()).toMatch(new RegExp(`${CLUSTER}:${LEASE}.*slurm.*running`));
    await row.getByRole("link").click();
    expect(page.url()).toBe(`${origin()}/#/lease/${CLUSTER}/${LEASE}`);
    const segment = page.locator('#timeline .lane[data-lane^="segment 0"]');
    await eventually(() => segment.getAttribute("data-lane")).toMatch(/^segment 0 · job \d+ running$/);
    // Segment 0 waited in the queue, then runs; what is left of its walltime is planned.
    await eventually(async () =>
      (await segment.locator(".bar").evaluateAll((bars) => bars.map((b) => b.getAttribute("data-kind")))).join(","),
    ).toMatch(/^(queued,)?running,planned$/);
    expect(await page.locator("#runners tbody").textContent()).toMatch(/ok/);
    await screenshot(page, "lease-slurm");
  }, 120_000);

  test("the cluster's page: GPUs per partition and type, and the lease's race", async () => {
    await page.goto(`${origin()}/#/cluster`);
    const pools = page.locator(`section[data-cluster="${CLUSTER}"] #pools tbody tr`);
    await eventually(() => pools.count()).toBeGreaterThan(0);
    expect(await pools.first().textContent()).toMatch(/\d/);
    const race = page.locator(`.race[data-race="${LEASE}"]`);
    await eventually(() => race.locator("h4").textContent()).toMatch(/won by \S+ \(job \d+\)/);
    expect(await race.locator("tbody tr.kept").count()).toBeGreaterThan(0);
    await screenshot(page, "cluster");
  }, 90_000);
});
