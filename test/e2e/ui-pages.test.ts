import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { launchChromium, screenshot, startUi, type UiServer } from "../helpers/browser.ts";
import { makeHome } from "../helpers/home.ts";
import { json } from "../helpers/lease.ts";
import { assertBuilt, rv } from "../helpers/rv.ts";
import { waitFor } from "../helpers/wait.ts";

// rv ui's sweep and lease pages in a real browser, against local leases with real runners: a sweep's chart of
// the loss its points print, and the lease actions (submit a command line, release) done from the page.
const home = makeHome("rv-uip-");

interface TaskJson {
  id: string;
  name: string | null;
  state: string;
}
interface LeaseJson {
  lease: string;
  state: string;
}

const tasks = async () => json<{ tasks: TaskJson[] }>(String((await rv(home.root, ["tasks", "--json"])).stdout)).tasks;
const leases = async () =>
  json<{ leases: LeaseJson[] }>(String((await rv(home.root, ["lease", "ls", "--json"])).stdout)).leases;

let server: UiServer;
let start: Awaited<ReturnType<typeof startUi>>["start"];
let browser: Browser;
let page: Page;
let sweepId = "";
const eventually = <T>(look: () => Promise<T>) => expect.poll(look, { timeout: 20_000 });
const origin = () => `http://127.0.0.1:${start.port}`;

/** A training script's last words: a loss that depends on its learning rate and optimizer. */
const TRAIN = `#!/bin/sh
lr=$2; opt=$4
echo "epoch 1 loss=9.5 acc=0.1"
awk -v lr="$lr" -v opt="$opt" 'BEGIN { printf "epoch 2 loss=%.4f acc=0.9\\n", lr * 10 + (opt == "adam" ? 0.1 : 0.2) }'
`;

beforeAll(async () => {
  assertBuilt();
  browser = await launchChromium();
  for (const args of [
    ["--cpus", "4"],
    ["--name", "spare", "--cpus", "1"],
  ]) {
    const up = await rv(home.root, ["lease", "up", "--local", ...args]);
    expect(up.exitCode, String(up.stderr)).toBe(0);
  }
  // A lease of four (fake) GPUs, whose two tasks held three of them for a while before the page opened.
  const gpus = await rv(home.root, ["lease", "up", "--local", "--name", "gpus", "--gpu-ids", "0,1,2,3", "--cpus", "4"]);
  expect(gpus.exitCode, String(gpus.stderr)).toBe(0);
  for (const [name, count] of [
    ["gpu-a", "2"],
    ["gpu-b", "1"],
  ] as const) {
    const submitted = await rv(home.root, [
      "submit",
      "--lease",
      "gpus",
      "--gpus",
      count,
      "--name",
      name,
      "--",
      "sleep",
      "2",
    ]);
    expect(submitted.exitCode, String(submitted.stderr)).toBe(0);
  }
  writeFileSync(join(home.root, "train.sh"), TRAIN);
  const sweep = await rv(home.root, [
    ...["sweep", "--lease", "local", "--", "sh", join(home.root, "train.sh")],
    ...["--lr", "{0.1,0.01,0.001}", "--opt", "{adam,sgd}"],
  ]);
  expect(sweep.exitCode, String(sweep.stderr)).toBe(0);
  sweepId = /sweep (sw-\w+):/.exec(`${sweep.stdout}${sweep.stderr}`)?.[1] ?? "";
  expect(sweepId).not.toBe("");
  await waitFor(async () => (await tasks()).filter((t) => t.state === "succeeded").length === 8, {
    what: "the sweep's six points and the two GPU tasks to succeed",
    timeoutMs: 30_000,
  });
  ({ server, start } = await startUi(home.root));
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(start.url);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  server?.kill("SIGTERM");
  await server;
  await rv(home.root, ["lease", "release", "--all", "--now", "--wait"]);
  home.cleanup();
});

describe("a sweep's page", () => {
  test("the dashboard lists the sweep; its page charts the loss of each point against a parameter", async () => {
    const row = page.locator(`#sweeps tr[data-sweep="${sweepId}"]`);
    await eventually(() => row.textContent()).toMatch(/lr, opt\s*6\s*0\s*6\s*0/);
    await row.getByRole("link").click();
    expect(page.url()).toBe(`${origin()}/#/sweep/${sweepId}`);
    // One dot per point, drawn by uPlot on its canvas, once every point's loss is read from its stdout.
    const chart = page.locator("#sweep-chart .chart");
    await eventually(() => chart.getAttribute("data-points")).toBe("6");
    expect(await chart.locator("canvas").count()).toBe(1);
    expect(await page.locator("#metric").inputValue()).toBe("loss");
    expect(await page.locator("#metric option").allTextContents()).toEqual(["acc", "loss"]);
    expect(await page.locator("#param").inputValue()).toBe("lr");
    // The grid, coloured by state, with each point's last loss.
    const rows = page.locator("#points tbody tr");
    await eventually(() => rows.count()).toBe(6);
    expect(await page.locator("#points tbody tr.point.succeeded").count()).toBe(6);
    const adam = page.locator("#points tbody tr", { hasText: /0\.01\s*adam/ });
    expect(await adam.locator("td.num").textContent()).toBe("0.2");
    await screenshot(page, "sweep");
    // Another metric, against the other parameter (words: one column per optimizer): still a dot per point.
    await page.locator("#param").selectOption("opt");
    await page.locator("#metric").selectOption("acc");
    await eventually(() => chart.getAttribute("data-points")).toBe("6");
    expect(await adam.locator("td.num").textContent()).toBe("0.9");
  });

  test("the sweep's page links to its tasks on the dashboard: the sweep filter keeps its points only", async () => {
    await page.locator("#sweep-tasks").click();
    expect(page.url()).toBe(`${origin()}/#/?sweep=${sweepId}`);
    const rows = page.locator("#tasks tbody tr");
    const ids = async () => (await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-task")))).sort();
    const points = (await tasks()).filter((t) => t.name !== "gpu-a" && t.name !== "gpu-b").map((t) => t.id);
    await eventually(ids).toEqual(points.sort());
    expect(await page.locator("#sweep-filter").inputValue()).toBe(sweepId);
    expect(await page.locator("#sweep-filter option").allTextContents()).toEqual(["any sweep", `${sweepId} (6)`]);
    await page.locator("#sweep-filter").selectOption("");
    await eventually(() => rows.count()).toBe(8);
    expect(page.url()).toBe(`${origin()}/#/`);
  });
});

describe("a lease's page: its GPUs over its last day", () => {
  test("opened after its tasks ran, it charts them: busy GPUs from before it opened, of the four it holds", async () => {
    const opened = Date.now() / 1000;
    // Its history, read from its tasks' attempts: the two tasks held 2 and 1 of its GPUs.
    const answer = await fetch(`${origin()}/api/leases/local/gpus/gpus`, {
      headers: { authorization: `Bearer ${start.token}` },
    });
    expect(answer.status).toBe(200);
    const { busy } = (await answer.json()).gpus as { busy: { times: number[]; values: number[] } };
    const points = busy.times.map((time, i) => ({ time, busy: busy.values[i] ?? 0 }));
    expect(points.filter((p) => p.time < opened && p.busy > 0).length).toBeGreaterThan(0);
    expect(Math.max(...points.map((p) => p.busy))).toBeGreaterThanOrEqual(2);

    await page.goto(`${origin()}/#/lease/local/gpus`);
    const chart = page.locator("#gpu-chart .chart");
    await eventually(async () => Number((await chart.getAttribute("data-first-busy")) || Number.NaN)).toBeLessThan(
      opened,
    );
    expect(Number(await chart.getAttribute("data-busy-peak"))).toBeGreaterThanOrEqual(2);
    // What it held, from what the page shows of the lease: its four GPUs, all day.
    await eventually(() => chart.getAttribute("data-held-peak")).toBe("4");
    expect(await chart.locator("canvas").count()).toBe(1);
    // The refreshes since it opened are appended as they come, to the same chart (given new data, not drawn anew).
    await chart.evaluate((element) => {
      element.setAttribute("data-first-drawn", "");
    });
    const drawn = Number(await chart.getAttribute("data-samples"));
    await eventually(async () => Number(await chart.getAttribute("data-samples"))).toBeGreaterThan(drawn);
    expect(await page.locator("#gpu-chart .chart[data-first-drawn]").count()).toBe(1);
    await screenshot(page, "lease");
  });
});

describe("a lease's page: actions", () => {
  test("submit a command line from the page: it asks first, then the task runs in the lease", async () => {
    await page.goto(`${origin()}/#/lease/local/local`);
    await eventually(() => page.locator("#runners tbody").textContent()).toMatch(/ok/);
    await eventually(() => page.locator("#segments").textContent()).toMatch(/no Slurm segments/);
    await page.getByLabel("command").fill("echo from-the-page; echo loss=0.5");
    await page.getByLabel("name").fill("web");
    await page.getByRole("button", { name: "Submit", exact: true }).click();
    const dialog = page.locator("dialog#confirm");
    await eventually(() => dialog.textContent()).toMatch(/Submit to lease local\?.*echo from-the-page/);
    await screenshot(page, "submit");
    await dialog.getByRole("button", { name: "Keep it" }).click();
    await eventually(() => page.locator("#message").textContent()).toBe("submit to local: not done");
    expect((await tasks()).some((t) => t.name === "web")).toBe(false);

    await page.getByRole("button", { name: "Submit", exact: true }).click();
    await dialog.getByRole("button", { name: "Submit task" }).click();
    await eventually(() => page.locator("#message").textContent()).toMatch(/^submit to local: submitted \w+$/);
    await waitFor(async () => (await tasks()).find((t) => t.name === "web")?.state === "succeeded", {
      what: "the task submitted from the page to succeed",
    });
    const logs = await rv(home.root, ["logs", "web"]);
    expect(String(logs.stdout)).toContain("from-the-page");
  });

  test("release a lease from the page: it asks first, then the lease is released", async () => {
    await page.goto(`${origin()}/#/lease/local/spare`);
    await page.getByRole("button", { name: "Release", exact: true }).click();
    const dialog = page.locator("dialog#confirm");
    await eventually(() => dialog.textContent()).toMatch(/Release lease spare\?.*drain/);
    await dialog.getByRole("button", { name: "Keep it" }).click();
    expect((await leases()).find((l) => l.lease === "spare")?.state).toBe("active");

    await page.getByRole("button", { name: "Release", exact: true }).click();
    await dialog.getByRole("button", { name: "Release lease" }).click();
    await eventually(() => page.locator("#message").textContent()).toMatch(/^release of spare: released \(draining\)$/);
    expect((await leases()).find((l) => l.lease === "spare")?.state).toBe("released");
    expect((await leases()).find((l) => l.lease === "local")?.state).toBe("active");
    // A released lease offers no action any more.
    await eventually(() => page.getByRole("button", { name: "Release", exact: true }).count()).toBe(0);
  });

  test("a lease action asked from another site is refused", async () => {
    const release = `${origin()}/api/leases/local/local/release`;
    const cookie = `rv-ui-${start.port}=${start.token}`;
    const foreign = await fetch(release, { method: "POST", headers: { cookie, origin: "http://evil.example" } });
    expect(foreign.status).toBe(403);
    const bad = await fetch(`${origin()}/api/leases/local/local/submit`, {
      method: "POST",
      headers: { authorization: `Bearer ${start.token}`, "content-type": "application/json" },
      body: JSON.stringify({ shell: "  " }),
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.message).toMatch(/shell: the command is empty/);
    expect((await leases()).find((l) => l.lease === "local")?.state).toBe("active");
  });
});
