import { readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/index.ts";
import { saveClusterConfig } from "../../src/config/write.ts";
import { makeHome } from "../helpers/home.ts";

describe("loadConfig", () => {
  let home: ReturnType<typeof makeHome>;
  beforeEach(() => {
    home = makeHome();
  });
  afterEach(() => home.cleanup());

  it("has defaults without a file, reads the file, and lets RV_* variables win", () => {
    expect(loadConfig(home.root, {}).runner.staleAfterMs).toBe(30_000);
    writeFileSync(join(home.root, "config.toml"), "[runner]\nstaleAfterMs = 5000\nheartbeatMs = 500\n");
    const config = loadConfig(home.root, { RV_HEARTBEAT_MS: "100" });
    expect(config.runner).toMatchObject({ staleAfterMs: 5000, heartbeatMs: 100, killGraceMs: 10_000 });
    expect(config.defaults.lease).toBe("local");
  });

  it("names the line of a TOML syntax error, and the key of a bad or unknown setting", () => {
    writeFileSync(join(home.root, "config.toml"), "[runner]\nheartbeatMs = \n");
    expect(() => loadConfig(home.root, {})).toThrow(/config\.toml \(line 2, column \d+\)/);
    writeFileSync(join(home.root, "config.toml"), "[runner]\nheartbeatMs = -1\n");
    expect(() => loadConfig(home.root, {})).toThrow(/runner\.heartbeatMs/);
    writeFileSync(join(home.root, "config.toml"), "[runner]\nheartbeat = 1\n");
    expect(() => loadConfig(home.root, {})).toThrow(/heartbeat/);
    writeFileSync(join(home.root, "config.toml"), "");
    expect(() => loadConfig(home.root, { RV_STALE_AFTER_MS: "soon" })).toThrow(/RV_STALE_AFTER_MS=soon/);
  });
});

describe("the [cluster] table", () => {
  let home: ReturnType<typeof makeHome>;
  beforeEach(() => {
    home = makeHome();
  });
  afterEach(() => home.cleanup());

  const cluster = { name: "dev", host: "rv-dev", user: "labuser", account: "lab", root: "/scratch/labuser/.rv" };

  it("is written atomically and privately, keeps the other settings, and reads back", () => {
    writeFileSync(join(home.root, "config.toml"), "[runner]\nheartbeatMs = 500\n");
    const file = saveClusterConfig(home.root, cluster);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const config = loadConfig(home.root, {});
    expect(config.cluster).toEqual(cluster);
    expect(config.runner.heartbeatMs).toBe(500);
    expect(readdirSync(home.root).filter((f) => f.startsWith("config.toml."))).toEqual([]);
  });

  it("names the line of a bad value and of an unknown key", () => {
    const text = [
      "[runner]",
      "heartbeatMs = 500",
      "",
      "[cluster]",
      'name = "dev"',
      'host = "h"',
      'user = "u"',
      'root = "scratch"',
    ];
    writeFileSync(join(home.root, "config.toml"), `${text.join("\n")}\n`);
    expect(() => loadConfig(home.root, {})).toThrow(/config\.toml \(line 8\): cluster\.root: must be an absolute path/);
    text[7] = 'root = "/scratch"';
    text.push('acount = "lab"');
    writeFileSync(join(home.root, "config.toml"), `${text.join("\n")}\n`);
    expect(() => loadConfig(home.root, {})).toThrow(/\(line 9\): cluster\.acount/);
  });
});
