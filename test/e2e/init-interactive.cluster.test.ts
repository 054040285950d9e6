import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { closeSshMaster, devCluster } from "../helpers/cluster.ts";
import { makeHome } from "../helpers/home.ts";
import { assertBuilt, RV_BIN } from "../helpers/rv.ts";

// `rv init` on a real terminal (a pty from script(1)): it asks for what no flag gave, answer by answer.
const laptop = makeHome("rv-init-pty-");
afterAll(async () => {
  await closeSshMaster(laptop.root, "rv-pty");
  laptop.cleanup();
});

/** Runs `rv ARGS` on a pty, typing each answer once its prompt shows; resolves with the screen and exit code. */
function onTerminal(args: string[], answers: [RegExp, string][]): Promise<{ screen: string; code: number | null }> {
  assertBuilt();
  const command = [RV_BIN, ...args].map((a) => `'${a}'`).join(" ");
  const child = spawn("script", ["-qfec", command, "/dev/null"], { env: { ...process.env, RV_HOME: laptop.root } });
  let screen = "";
  child.stdout.on("data", (chunk: Buffer) => {
    screen += chunk.toString();
    const next = answers[0];
    if (next?.[0].test(screen)) {
      answers.shift();
      child.stdin.write(next[1] === "\u0004" ? next[1] : `${next[1]}\r`);
    }
  });
  return new Promise((resolve) => child.on("close", (code) => resolve({ screen, code })));
}

describe("rv init on a terminal", () => {
  test("Ctrl-D at a prompt cancels and writes nothing", async () => {
    const { screen, code } = await onTerminal(["init"], [[/login node/, "\u0004"]]);
    expect(code).toBe(2);
    expect(screen).toMatch(/cancelled; nothing was written/);
    expect(existsSync(join(laptop.root, "config.toml"))).toBe(false);
  });

  test("asks for the host, the user and the account, then connects, deploys and discovers", async () => {
    const root = join(laptop.root, "cluster-root");
    const flags = ["--port", String(devCluster.sshPort), "--identity-file", devCluster.identityFile];
    const { screen, code } = await onTerminal(
      ["init", ...flags, "--root", root, "--name", "pty"],
      [
        [/login node \(ssh host or alias.*\): /, "127.0.0.1"],
        [/user on the cluster.*: /, "root"],
        [/Slurm account \(empty: your default\): /, "lab"],
      ],
    );
    expect(code, screen).toBe(0);
    expect(screen).toMatch(/cluster pty is ready: 4 GPU partitions/);
    expect(readFileSync(join(laptop.root, "config.toml"), "utf8")).toMatch(/host = "rv-pty"[\s\S]*account = "lab"/);
  });
});
