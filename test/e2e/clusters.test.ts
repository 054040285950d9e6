import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { renderSshHostBlock } from "../../src/remote/index.ts";
import { json, useRvHome } from "../helpers/lease.ts";
import { rv } from "../helpers/rv.ts";

// Several clusters on one laptop, from this machine alone: clusters nothing answers for (port 1 of loopback, and
// a "login node" whose rv never answers). What is asked of which cluster shows in the errors each one gives.
// The same dev cluster named twice (as root and as labuser) is used side by side in laptop.whole.ts.
const home = useRvHome();

function configure(root: string, names: string[], inUse: string): void {
  const ssh = join(root, "ssh");
  mkdirSync(ssh, { recursive: true, mode: 0o700 });
  const blocks = names.map((name) =>
    renderSshHostBlock({
      alias: `rv-${name}`,
      hostName: "127.0.0.1",
      port: 1,
      user: "nobody",
      identityFiles: [],
      proxyJump: null,
      controlDir: ssh,
      knownHosts: join(ssh, "known_hosts"),
    }),
  );
  writeFileSync(join(ssh, "config"), blocks.join(""), { mode: 0o600 });
  const tables = names.map((name) => `[clusters.${name}]\nhost = "rv-${name}"\nuser = "nobody"\nroot = "/r/${name}"\n`);
  writeFileSync(join(root, "config.toml"), `[defaults]\ncluster = "${inUse}"\n\n${tables.join("\n")}`);
}

/** Each cluster's leases as rv saw them last: where `--lease NAME` goes with no `--cluster`. */
function seen(root: string, leases: Record<string, string[]>): void {
  const clusters = Object.fromEntries(Object.entries(leases).map(([name, ids]) => [name, { leases: ids, tasks: [] }]));
  writeFileSync(join(root, "completion-cache.json"), JSON.stringify({ v: 2, clusters }));
}

const errorOf = (stdout: unknown) => json<{ error: { code: string; message: string } }>(stdout as string).error;

describe("several clusters", () => {
  test("rv cluster ls lists them with the one in use; rv cluster use switches; an unknown name is refused", async () => {
    configure(home.root, ["alpha", "beta"], "alpha");
    const listed = await rv(home.root, ["cluster", "ls"]);
    expect(listed.stdout).toMatch(/^\*\s+alpha\s+nobody@127\.0\.0\.1:1\s+-\s+\/r\/alpha/m);
    expect(listed.stdout).toMatch(/^\s+beta\s+nobody@127\.0\.0\.1:1/m);
    expect((await rv(home.root, ["cluster", "use", "beta"])).exitCode).toBe(0);
    const after = json<{ inUse: string; clusters: { name: string; inUse: boolean }[] }>(
      (await rv(home.root, ["cluster", "ls", "--json"])).stdout as string,
    );
    expect(after.inUse).toBe("beta");
    expect(after.clusters.map((c) => [c.name, c.inUse])).toEqual([
      ["alpha", false],
      ["beta", true],
    ]);
    const unknown = await rv(home.root, ["tasks", "--cluster", "gamma"]);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/no cluster gamma \(there are: alpha, beta\)/);
    expect((await rv(home.root, ["cluster", "use", "gamma"])).exitCode).toBe(2);
  });

  test("every command takes --cluster: it goes to the cluster named, and RV_CLUSTER does the same", async () => {
    configure(home.root, ["alpha", "beta"], "alpha");
    const inUse = await rv(home.root, ["resources", "--json"]);
    expect(inUse.exitCode).toBe(7);
    expect(errorOf(inUse.stdout).message).toMatch(/rv-alpha/);
    const named = await rv(home.root, ["resources", "--cluster", "beta", "--json"]);
    expect(errorOf(named.stdout).message).toMatch(/rv-beta/);
    const byEnv = await rv(home.root, ["resources", "--json"], { env: { RV_CLUSTER: "beta" } });
    expect(errorOf(byEnv.stdout).message).toMatch(/rv-beta/);
  });

  test("a lease remembers its cluster: --lease NAME goes where it was seen, --cluster overrides, two are ambiguous", async () => {
    configure(home.root, ["alpha", "beta", "gamma"], "alpha");
    seen(home.root, { beta: ["gpu-b"], alpha: ["both"], gamma: ["both"] });
    const remembered = await rv(home.root, ["tasks", "--lease", "gpu-b", "--json"]);
    expect(remembered.exitCode).toBe(7);
    expect(errorOf(remembered.stdout).message).toMatch(/rv-beta/);
    const overridden = await rv(home.root, ["tasks", "--lease", "gpu-b", "--cluster", "gamma", "--json"]);
    expect(errorOf(overridden.stdout).message).toMatch(/rv-gamma/);
    // Seen on the cluster in use too: that one.
    expect(errorOf((await rv(home.root, ["tasks", "--lease", "both", "--json"])).stdout).message).toMatch(/rv-alpha/);
    seen(home.root, { beta: ["twice"], gamma: ["twice"] });
    const ambiguous = await rv(home.root, ["tasks", "--lease", "twice", "--json"]);
    expect(ambiguous.exitCode).toBe(2);
    expect(errorOf(ambiguous.stdout).message).toMatch(/lease twice is on clusters beta and gamma/);
  });

  test("rv status asks every cluster at once, each with its own timeout, and shows what each said", async () => {
    configure(home.root, ["alpha", "beta"], "alpha");
    // A third cluster on "the login node itself" whose rv never answers: only the timeout ends its part.
    const version = String((await rv(home.root, ["--version"])).stdout).match(/^([\d.]+) \(build (\w+)\)/);
    const slowRoot = join(home.root, "slow-root");
    mkdirSync(join(slowRoot, "bin"), { recursive: true });
    const fake = join(slowRoot, "bin", `rv-${version?.[1]}-${version?.[2]}`);
    writeFileSync(fake, "#!/bin/sh\nexec sleep 300\n");
    chmodSync(fake, 0o755);
    const config = readFileSync(join(home.root, "config.toml"), "utf8");
    writeFileSync(
      join(home.root, "config.toml"),
      `${config}\n[clusters.slow]\nhost = "local"\nuser = "nobody"\nroot = "${slowRoot}"\n`,
    );
    const result = await rv(home.root, ["status", "--timeout", "2s", "--json"]);
    expect(result.exitCode, result.stderr as string).toBe(0);
    const { clusters } = json<{
      clusters: { name: string; inUse: boolean; connected: boolean; error: { message: string } }[];
    }>(result.stdout as string);
    expect(clusters.map((c) => [c.name, c.inUse, c.connected])).toEqual([
      ["alpha", true, false],
      ["beta", false, false],
      ["slow", false, false],
    ]);
    expect(clusters[2]?.error.message).toMatch(/did not answer in time/);
    const one = json<{ clusters: { name: string }[] }>(
      (await rv(home.root, ["status", "--cluster", "beta", "--json"])).stdout as string,
    );
    expect(one.clusters.map((c) => c.name)).toEqual(["beta"]);
    const text = await rv(home.root, ["status", "--timeout", "2s"]);
    expect(text.stdout).toMatch(/cluster alpha \(in use\)\s+not connected/);
    expect(text.stdout).toMatch(/cluster beta\s+not connected/);
  });

  test("rv cluster rm forgets the cluster here: settings, ssh block, names seen, its secrets; the next is in use", async () => {
    configure(home.root, ["alpha", "beta"], "beta");
    seen(home.root, { beta: ["gpu-b"] });
    const env = { RV_KEYRING: "off" };
    const set = await rv(home.root, ["env", "set", "TOKEN", "--cluster", "beta"], {
      env,
      stdin: "pipe",
      input: "s3cret",
    });
    expect(set.exitCode, set.stderr as string).toBe(0);
    expect((await rv(home.root, ["env", "set", "GLOBAL"], { env, stdin: "pipe", input: "g" })).exitCode).toBe(0);
    const removed = await rv(home.root, ["cluster", "rm", "beta"], { env });
    expect(removed.exitCode, removed.stderr as string).toBe(0);
    expect(removed.stderr).toMatch(/forgot cluster beta \(its settings, its ssh block, 1 of its secrets\)/);
    expect(removed.stderr).toMatch(/cluster alpha is in use now/);
    expect(readFileSync(join(home.root, "ssh", "config"), "utf8")).not.toMatch(/rv-beta/);
    expect(readFileSync(join(home.root, "config.toml"), "utf8")).not.toMatch(/beta/);
    expect(readFileSync(join(home.root, "completion-cache.json"), "utf8")).not.toMatch(/gpu-b/);
    const secrets = json<{ secrets: { name: string }[] }>(
      (await rv(home.root, ["env", "list", "--json"], { env })).stdout as string,
    );
    expect(secrets.secrets.map((s) => s.name)).toEqual(["GLOBAL"]);
    expect(existsSync(join(home.root, "config.toml"))).toBe(true);
    expect((await rv(home.root, ["cluster", "rm", "beta"])).exitCode).toBe(2);
  });
});
