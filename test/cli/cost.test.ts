import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { makeHome } from "../helpers/home.ts";

// `rv cost` through the CLI from source, run by Bun as the shipped binary is (dist/rv may be an older build).
const REPO = join(import.meta.dirname, "..", "..");
const BUN = join(REPO, "node_modules", ".bin", "bun");
const MAIN = join(REPO, "src", "cli", "main.ts");

function rvCost(root: string, args: string[], env: Record<string, string> = {}) {
  return execa(BUN, [MAIN, "cost", ...args], {
    reject: false,
    stdin: "ignore",
    stripFinalNewline: false,
    env: { RV_HOME: root, NO_COLOR: "1", ...env },
  });
}

const allocations = `Account                      Balance        Reserved       Available
-----------------           ---------      ---------      ---------
smithlab                      98,765.432          0.000      50,000.000
`;

/**
 * A cluster on this machine (`host = "local"`): rv deploys a wrapper that runs this source as the login
 * node's rv, and the profile's balance command is a script printing an `allocations` table.
 */
function localCluster(root: string): Record<string, string> {
  const bin = join(root, "fake-bin");
  mkdirSync(bin);
  const script = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
    return join(bin, name);
  };
  const balance = script("allocations", `cat <<'EOF'\n${allocations}EOF`);
  const profile = join(root, "lab.toml");
  writeFileSync(
    profile,
    [
      'name = "lab"',
      "[balance]",
      `argv = ["${balance}"]`,
      'accountColumn = "Account"',
      'availableColumn = "Available"',
      "[[gpu]]",
      'key = "a100_80"',
      'partition = "gpu-a100-80"',
      'gres = "a100"',
      "vramGb = 80",
      "suPerGpuHour = 508.89",
      "",
    ].join("\n"),
  );
  const cluster = [
    "[cluster]",
    'name = "lab"',
    'host = "local"',
    'user = "me"',
    'account = "smithlab"',
    `root = "${join(root, "cluster")}"`,
    `profile = "${profile}"`,
    "",
  ];
  writeFileSync(join(root, "config.toml"), cluster.join("\n"));
  return { RV_STANDALONE: script("rv", `exec "${BUN}" "${MAIN}" "$@"`) };
}

describe("rv cost", () => {
  let home: ReturnType<typeof makeHome>;
  beforeEach(() => {
    home = makeHome();
  });
  afterEach(() => home.cleanup());

  it("says how to choose a site profile when none is configured", async () => {
    const run = await rvCost(home.root, ["--gpu", "4", "--type", "a100_80", "--time", "24h"]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/no site profile is configured/);
    expect(run.stderr).toMatch(/hint: set profile = "rivanna" .* or pass --profile/);
  });

  it("prints the SUs from a built-in profile, and that the balance is not known without a cluster", async () => {
    const run = await rvCost(home.root, ["--gpu", "4", "--type", "a100_80", "--time", "24h", "--profile", "rivanna"]);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toBe(
      "4 a100_80 GPUs (gpu-a100-80) for 24h00m: 48,853.44 SUs (508.89 SU per GPU-hour x 96 GPU-hours, profile rivanna)\n" +
        "balance: not known: no cluster is configured (rv init)\n",
    );
  });

  it("prints JSON, one segment of the profile by default", async () => {
    const run = await rvCost(home.root, ["--type", "a6000", "--profile", "rivanna", "--json"]);
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      v: 1,
      profile: "rivanna",
      cost: {
        type: "a6000",
        partition: "gpu-a6000",
        gpus: 1,
        seconds: 10740,
        gpuHours: 10740 / 3600,
        suPerGpuHour: 142.73,
        su: 425.81,
        limits: [],
      },
      balance: { known: false, why: "no cluster is configured (rv init)" },
    });
  });

  it("warns of the site's limits a request is beyond", async () => {
    const run = await rvCost(home.root, ["--gpu", "40", "--type", "a100_80", "--time", "1h", "--profile", "rivanna"]);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain(
      "beyond the site's limits: one job may hold at most 8 a100_80 GPUs; one user may run at most 32 a100_80 GPUs at once",
    );
  });

  it("lists the profile's types when asked for another", async () => {
    const run = await rvCost(home.root, ["--type", "h100", "--time", "1h", "--profile", "devcluster", "--json"]);
    expect(run.exitCode).toBe(2);
    expect(JSON.parse(run.stdout).error).toMatchObject({
      code: "usage",
      hint: "its types: a6000, a100_80, mig, rtx3090",
    });
  });

  it("reads the balance on the cluster with the profile's command: before and after", async () => {
    const env = localCluster(home.root);
    const text = await rvCost(home.root, ["--gpu", "4", "--type", "a100_80", "--time", "24h"], env);
    expect(text.stderr).toBe("");
    expect(text.stdout).toMatch(
      /: 48,853.44 SUs .*profile lab\)\nbalance of smithlab: 50,000 SUs available, 1,146.56 after\n$/,
    );
    const json = await rvCost(home.root, ["--gpu", "8", "--type", "a100_80", "--time", "24h", "--json"], env);
    expect(JSON.parse(json.stdout).balance).toEqual({
      known: true,
      account: "smithlab",
      availableSu: 50000,
      afterSu: -47706.88,
      enough: false,
    });
  });
});
