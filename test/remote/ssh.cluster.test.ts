import { randomUUID } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RvError } from "../../src/errors.ts";
import { sshRemote } from "../../src/remote/index.ts";
import { makeHome } from "../helpers/home.ts";
import { waitFor } from "../helpers/wait.ts";
import { closeMaster, countSshStarts, devClusterConfig, masterPid, writeBrokenHostsConfig } from "./ssh-helpers.ts";

let dir: string;
let cleanup: () => void;
let controlDir: string;

beforeAll(() => {
  ({ root: dir, cleanup } = makeHome("rv-ssh-"));
  controlDir = join(dir, "cm");
});

afterAll(async () => {
  for (const host of ["rv-devcluster", "rv-devcluster-user"]) await closeMaster(devClusterConfig, controlDir, host);
  cleanup();
});

function devCluster(host = "rv-devcluster") {
  return sshRemote({ host, configFile: devClusterConfig, controlDir });
}

describe("sshRemote against the dev cluster", () => {
  it("runs a batch of three commands with one ssh process, each with its own result", async () => {
    const starts = countSshStarts(join(dir, "counting"));
    try {
      const results = await devCluster("rv-devcluster-user").run([
        { argv: ["whoami"] },
        { argv: ["sh", "-c", 'echo "to stderr: $RV_X" >&2; exit 5'], env: { RV_X: "it's $1" } },
        { argv: ["cat"], stdin: "line one\nno newline" },
      ]);
      expect(results).toEqual([
        { exitCode: 0, stdout: "labuser\n", stderr: "" },
        { exitCode: 5, stdout: "", stderr: "to stderr: it's $1\n" },
        { exitCode: 0, stdout: "line one\nno newline", stderr: "" },
      ]);
      expect(starts.count()).toBe(1);
    } finally {
      starts.restore();
    }
    expect(await masterPid(devClusterConfig, controlDir, "rv-devcluster-user")).toBeGreaterThan(0);
  });

  it("makes the control directory private", async () => {
    await devCluster().run([{ argv: ["true"] }]);
    expect(statSync(controlDir).mode & 0o777).toBe(0o700);
  });

  it("reports a missing command as exit 127 with sh's message; the batch still succeeds", async () => {
    const [missing, after] = await devCluster().run([{ argv: ["rv-no-such-command", "x"] }, { argv: ["echo", "ok"] }]);
    expect(missing?.exitCode).toBe(127);
    expect(missing?.stderr).toMatch(/rv-no-such-command: not found/);
    expect(after).toEqual({ exitCode: 0, stdout: "ok\n", stderr: "" });
  });

  it("returns no round trip for an empty batch", async () => {
    expect(await sshRemote({ host: "rv-nowhere", controlDir }).run([])).toEqual([]);
  });
});

describe("sshRemote failures", () => {
  let brokenConfig: string;
  beforeAll(async () => {
    brokenConfig = await writeBrokenHostsConfig(dir);
  });
  // A control dir of their own: these aliases reach the same user@host:port as rv-devcluster, so they would
  // otherwise ride its authenticated master connection and never fail.
  const broken = (host: string) =>
    sshRemote({ host, configFile: brokenConfig, controlDir: join(dir, "broken-cm"), connectTimeoutS: 5 });

  it("nothing listening: unreachable, with the VPN hint", async () => {
    const error = await broken("rv-nowhere")
      .run([{ argv: ["true"] }])
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RvError);
    expect(error).toMatchObject({ code: "unreachable", exitCode: 7 });
    expect((error as RvError).message).toMatch(/cannot reach rv-nowhere: .*Connection refused/);
    expect((error as RvError).hint).toMatch(/VPN/);
  });

  it("unknown key: key refused, with the ssh-copy-id hint", async () => {
    const error = await broken("rv-wrongkey")
      .run([{ argv: ["true"] }])
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: "unreachable",
      message: expect.stringMatching(/rv-wrongkey refused your ssh key/),
    });
    // The alias lives in the config rv passes with -F, so the hint's command names that file too.
    expect((error as RvError).hint).toMatch(/ssh-copy-id -F '[^']+' rv-wrongkey/);
  });

  it("changed host key: says so, with ssh's own removal command", async () => {
    const error = await broken("rv-changedkey")
      .run([{ argv: ["true"] }])
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: "unreachable",
      message: expect.stringMatching(/host key of rv-changedkey has changed/),
    });
    expect((error as RvError).hint).toMatch(/ssh-keygen -f .*changed_known_hosts.* -R .*\[127\.0\.0\.1\]:2222/);
  });

  const stopMaster = {
    "killed (SIGKILL)": async (master: number) => process.kill(master, "SIGKILL"),
    "told to exit (ssh -O exit)": async () => closeMaster(devClusterConfig, controlDir, "rv-devcluster"),
  };

  it.each(Object.entries(stopMaster))(
    "the ControlMaster %s mid-command: a dropped connection, no partial results",
    async (_, stop) => {
      const remote = devCluster();
      await remote.run([{ argv: ["true"] }]);
      const master = await masterPid(devClusterConfig, controlDir, "rv-devcluster");
      expect(master).toBeGreaterThan(0);
      const pidFile = join(dir, `sleeper-${randomUUID()}.pid`);
      const running = remote
        .run([
          { argv: ["echo", "first result"] },
          { argv: ["sh", "-c", `echo $$ >'${pidFile}.tmp' && mv '${pidFile}.tmp' '${pidFile}' && exec sleep 30`] },
          { argv: ["echo", "never"] },
        ])
        .catch((caught: unknown) => caught);
      const sleeper = await waitFor(() => (existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8")) : 0), {
        what: "the remote command to start",
      });
      try {
        await stop(master as number);
        const error = await running;
        expect(error).toBeInstanceOf(RvError);
        expect(error).toMatchObject({
          code: "unreachable",
          // Whether "first result" made it back before the drop is a race; the error is the same kind either way.
          message: expect.stringMatching(/connection to rv-devcluster dropped mid-command .*no results were kept/),
        });
      } finally {
        killIfAlive(sleeper);
      }
      expect(await remote.run([{ argv: ["echo", "reconnected"] }])).toEqual([
        { exitCode: 0, stdout: "reconnected\n", stderr: "" },
      ]);
    },
  );
});

function killIfAlive(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}
