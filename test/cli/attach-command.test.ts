import { describe, expect, test } from "vitest";
import { attachCommand } from "../../src/cli/commands/attach.ts";
import { shJoin } from "../../src/remote/index.ts";

const target = { lease: "sweep", jobId: "812", node: null, cwd: null, task: null, notes: [] };

describe("attachCommand", () => {
  test("a lease: a step of its job with a terminal, wherever srun puts it", () => {
    expect(attachCommand(target)).toEqual(["srun", "--jobid", "812", "--overlap", "--pty", "bash", "-l"]);
  });

  test("a running task: its node and its directory, quoted as one word each on the login node", () => {
    const task = {
      ...target,
      node: "udc-an28-1",
      cwd: "/home/ada/run $(1)",
      task: { id: "t", state: "running" as const },
    };
    const argv = attachCommand(task);
    expect(argv).toEqual([
      ...["srun", "--jobid", "812", "--overlap", "--pty", "-w", "udc-an28-1"],
      ...["--chdir", "/home/ada/run $(1)", "bash", "-l"],
    ]);
    expect(shJoin(argv)).toContain("'--chdir' '/home/ada/run $(1)'");
  });
});
