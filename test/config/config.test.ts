import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { clusterList, loadConfig, selectCluster } from "../../src/config/index.ts";
import { removeClusterConfig, saveClusterConfig, setClusterInUse } from "../../src/config/write.ts";
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

describe("the [clusters.NAME] tables", () => {
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
      "[clusters.dev]",
      'host = "h"',
      'user = "u"',
      'root = "scratch"',
    ];
    writeFileSync(join(home.root, "config.toml"), `${text.join("\n")}\n`);
    expect(() => loadConfig(home.root, {})).toThrow(
      /config\.toml \(line 7\): clusters\.dev\.root: must be an absolute path/,
    );
    text[6] = 'root = "/scratch"';
    text.push('acount = "lab"');
    writeFileSync(join(home.root, "config.toml"), `${text.join("\n")}\n`);
    expect(() => loadConfig(home.root, {})).toThrow(/\(line 8\): clusters\.dev\.acount/);
  });

  const lab = { name: "lab", host: "rv-lab", user: "root", root: "/root/.rv" };

  it("rv init --name adds a cluster and puts it in use; the first stays, and comes back in use by name", () => {
    saveClusterConfig(home.root, cluster);
    saveClusterConfig(home.root, lab);
    const config = loadConfig(home.root, {});
    expect(clusterList(config)).toEqual([cluster, lab]);
    expect(config.cluster).toEqual(lab);
    expect(selectCluster(config, "dev").cluster).toEqual(cluster);
    setClusterInUse(home.root, "dev");
    expect(loadConfig(home.root, {}).cluster).toEqual(cluster);
  });

  it("--cluster with a name rv does not know is refused with the names it does", () => {
    saveClusterConfig(home.root, cluster);
    saveClusterConfig(home.root, lab);
    expect(() => selectCluster(loadConfig(home.root, {}), "prod")).toThrow(/no cluster prod \(there are: dev, lab\)/);
  });

  it("an older file's [cluster] is read as its one cluster, in use, and rewritten as [clusters.NAME] by a change", () => {
    const legacy =
      '[cluster]\nname = "dev"\nhost = "rv-dev"\nuser = "labuser"\naccount = "lab"\nroot = "/scratch/labuser/.rv"\n';
    writeFileSync(join(home.root, "config.toml"), legacy);
    expect(loadConfig(home.root, {}).cluster).toEqual(cluster);
    saveClusterConfig(home.root, lab);
    const text = readFileSync(join(home.root, "config.toml"), "utf8");
    expect(text).not.toMatch(/^\[cluster\]/m);
    expect(text).toMatch(/^\[clusters\.dev\]/m);
    expect(clusterList(loadConfig(home.root, {})).map((c) => c.name)).toEqual(["dev", "lab"]);
  });

  it("removing the cluster in use puts the next one in use; removing the last leaves none", () => {
    saveClusterConfig(home.root, cluster);
    saveClusterConfig(home.root, lab);
    expect(removeClusterConfig(home.root, "lab")).toBe("dev");
    expect(loadConfig(home.root, {}).cluster?.name).toBe("dev");
    expect(removeClusterConfig(home.root, "dev")).toBeNull();
    const config = loadConfig(home.root, {});
    expect(config.cluster).toBeUndefined();
    expect(config.clusters).toEqual({});
  });

  it("a defaults.cluster that names no cluster is reported on its line", () => {
    saveClusterConfig(home.root, cluster);
    const text = readFileSync(join(home.root, "config.toml"), "utf8").replace('cluster = "dev"', 'cluster = "gone"');
    writeFileSync(join(home.root, "config.toml"), text);
    expect(() => loadConfig(home.root, {})).toThrow(/\(line \d+\): defaults\.cluster: no cluster gone/);
  });
});
