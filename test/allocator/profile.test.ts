import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfiguredProfile, loadProfile, parseProfileToml } from "../../src/allocator/profile/load.ts";
import { loadConfig } from "../../src/config/index.ts";

const oneGpu = 'name = "lab"\n\n[[gpu]]\nkey = "a6000"\npartition = "gpu"\ngres = "a6000"\nvramGb = 48\n';

describe("the built-in profiles", () => {
  it("rivanna carries the seed cluster's GPU table, limits, segment and balance command", () => {
    const rivanna = loadProfile("rivanna");
    expect(rivanna?.segmentSeconds).toBe(2 * 3600 + 59 * 60);
    expect(rivanna?.maxGpusPerUser).toBe(32);
    expect(rivanna?.balance).toEqual({ argv: ["allocations"], accountColumn: "Account", availableColumn: "Available" });
    expect(rivanna?.gpus.map((g) => g.key)).toEqual([
      "mig",
      "rtx3090",
      "a6000",
      "a40",
      "a100_40",
      "a100_80",
      "v100",
      "h200",
    ]);
    expect(rivanna?.gpus.find((g) => g.key === "a100_80")).toEqual({
      key: "a100_80",
      partition: "gpu-a100-80",
      gres: "a100",
      vramGb: 80,
      suPerGpuHour: 508.89,
      maxPerUser: 32,
      maxPerJob: 8,
      maxWalltimeSeconds: 3 * 86400,
      perNode: 8,
      kind: "gpu",
    });
    expect(rivanna?.gpus.find((g) => g.key === "mig")).toMatchObject({ kind: "mig", suPerGpuHour: 0, maxPerJob: 1 });
    expect(rivanna?.gpus.find((g) => g.key === "rtx3090")).toMatchObject({
      kind: "interactive",
      partition: "interactive-rtx3090",
      maxWalltimeSeconds: 12 * 3600,
    });
  });

  it("devcluster matches test/cluster/up.sh: its partitions, GRES and MaxTime, and no balance command", () => {
    const dev = loadProfile("devcluster");
    expect(dev?.balance).toBeNull();
    expect(dev?.gpus.map((g) => [g.key, g.partition, g.gres, g.perNode, g.kind, g.maxWalltimeSeconds])).toEqual([
      ["a6000", "gpu-a6000", "a6000", 4, "gpu", 2 * 86400],
      ["a100_80", "gpu-a100-80", "a100_80g", 4, "gpu", 2 * 86400],
      ["mig", "gpu-mig", "1g.10gb", 7, "mig", 86400],
      ["rtx3090", "interactive-rtx3090", "rtx3090", 2, "interactive", 8 * 3600],
    ]);
  });

  it("no profile is no profile: discovery alone", () => {
    expect(loadProfile(undefined)).toBeNull();
  });

  it("an unknown name lists the built-ins", () => {
    expect(() => loadProfile("rivana")).toThrow(
      expect.objectContaining({ code: "usage", hint: expect.stringMatching(/rivanna, devcluster/) }),
    );
  });
});

describe("parseProfileToml", () => {
  it("fills what a file leaves out with the schema's defaults", () => {
    expect(parseProfileToml(oneGpu, "lab.toml")).toEqual({
      name: "lab",
      segmentSeconds: null,
      maxGpusPerUser: null,
      balance: null,
      gpus: [
        {
          key: "a6000",
          partition: "gpu",
          gres: "a6000",
          vramGb: 48,
          suPerGpuHour: 0,
          maxPerUser: null,
          maxPerJob: null,
          maxWalltimeSeconds: null,
          perNode: null,
          kind: "gpu",
        },
      ],
    });
  });

  it("reports bad TOML with the file, line and column", () => {
    expect(() => parseProfileToml('name = "lab"\nsegment = \n', "lab.toml")).toThrow(
      expect.objectContaining({ code: "usage", message: expect.stringMatching(/^lab\.toml \(line 2, column \d+\): /) }),
    );
  });

  it("names an unknown key and its line, in a [[gpu]] table or at the top", () => {
    expect(() => parseProfileToml(`${oneGpu}vram = 48\n`, "lab.toml")).toThrow(
      /^lab\.toml \(line 8\): gpu\.0\.vram: .*"vram"/,
    );
    expect(() => parseProfileToml(`segmentt = "2:59:00"\n${oneGpu}`, "lab.toml")).toThrow(/\(line 1\): segmentt/);
  });

  it("names the key of a bad value and its line", () => {
    expect(() => parseProfileToml(`${oneGpu}vramGb = -1\n`.replace("vramGb = 48\n", ""), "lab.toml")).toThrow(
      /\(line 7\): gpu\.0\.vramGb/,
    );
  });

  it("reads durations the way Slurm writes them, and rejects others", () => {
    const text = `${oneGpu}maxWalltime = "1-12:00:00"\n`.replace('name = "lab"', 'name = "lab"\nsegment = "59:00"');
    const profile = parseProfileToml(text, "lab.toml");
    expect(profile.segmentSeconds).toBe(59 * 60);
    expect(profile.gpus[0]?.maxWalltimeSeconds).toBe(36 * 3600);
    expect(() => parseProfileToml(`${oneGpu}maxWalltime = "3 days"\n`, "lab.toml")).toThrow(
      /\(line 8\): gpu\.0\.maxWalltime: "3 days" is not a duration/,
    );
    expect(() => parseProfileToml(`${oneGpu}maxWalltime = "UNLIMITED"\n`, "lab.toml")).toThrow(/maxWalltime/);
    expect(() => parseProfileToml(`segment = 3\n${oneGpu}`, "lab.toml")).toThrow(
      /\(line 1\): segment: expected a quoted/,
    );
  });

  it("rejects a key written twice, and a GPU type defined twice", () => {
    expect(() => parseProfileToml(`${oneGpu}vramGb = 40\n`, "lab.toml")).toThrow(
      /lab\.toml \(line 8, column 1\): .*redefine/,
    );
    const twice = `${oneGpu}${oneGpu.slice(oneGpu.indexOf("[[gpu]]"))}`;
    expect(() => parseProfileToml(twice, "lab.toml")).toThrow(/\(line 9\): gpu\.1\.key: a6000 is defined twice/);
  });

  it("names the [balance] table when a column is missing", () => {
    const text = `${oneGpu}\n[balance]\nargv = ["allocations"]\naccountColumn = "Account"\n`;
    expect(() => parseProfileToml(text, "lab.toml")).toThrow(/\(line 9\): balance\.availableColumn/);
  });

  it("points every error at docs/allocator.md", () => {
    expect(() => parseProfileToml("name = 1\n", "lab.toml")).toThrow(
      expect.objectContaining({ hint: expect.stringContaining("docs/allocator.md") }),
    );
  });
});

describe("loadProfile from a file", () => {
  const dir = mkdtempSync(join(tmpdir(), "rv-profile-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads a TOML file by path, and names a missing one", () => {
    writeFileSync(join(dir, "lab.toml"), oneGpu);
    expect(loadProfile(join(dir, "lab.toml"))?.name).toBe("lab");
    expect(() => loadProfile(join(dir, "gone.toml"))).toThrow(/cannot read the site profile .*gone\.toml/);
  });
});

describe("[clusters.NAME] profile in config.toml", () => {
  const dir = mkdtempSync(join(tmpdir(), "rv-profile-config-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const cluster = '[clusters.lab]\nhost = "local"\nuser = "me"\nroot = "/scratch/me/.rv"\n';

  it("takes a built-in name or an absolute path, and reports a bad one where it is set, when it is used", () => {
    writeFileSync(join(dir, "config.toml"), `${cluster}profile = "rivanna"\n`);
    expect(loadConfig(dir, {}).cluster?.profile).toBe("rivanna");
    writeFileSync(join(dir, "config.toml"), `${cluster}profile = "lab.toml"\n`);
    expect(() => loadConfig(dir, {})).toThrow(
      /config\.toml \(line 5\): clusters\.lab\.profile: must be a built-in name or an absolute path/,
    );
    writeFileSync(join(dir, "lab.toml"), 'name = "lab"\nvram = 1\n');
    writeFileSync(join(dir, "config.toml"), `${cluster}profile = "${join(dir, "lab.toml")}"\n`);
    // A profile that does not parse stops only what uses it (rv lease up, rv cost), named where it is set.
    const config = loadConfig(dir, {});
    expect(() => loadConfiguredProfile(dir, config)).toThrow(
      /config\.toml \(line 5\): clusters\.lab\.profile: .*lab\.toml \(line 2\): vram/,
    );
  });
});
