import { describe, expect, it } from "vitest";
import {
  defaultWorkspace,
  parseChanges,
  projectRoot,
  rsyncArgs,
  rsyncFailure,
  syncFilters,
  workspaceCwd,
} from "../../src/sync/index.ts";

const plan = {
  direction: "push" as const,
  local: "/home/me/proj",
  remote: "/scratch/me/.rv/workspaces/proj",
  host: "rv-lab",
  sshConfig: "/home/me/.rv/ssh/config",
  dryRun: false,
  includes: [],
  delete: false,
};

describe("what a push takes", () => {
  it("--include first, then each directory's .gitignore and .rvignore, then the heavy defaults", () => {
    const rules = syncFilters(["data/small/**"]);
    expect(rules.slice(0, 3)).toEqual(["+ data/small/**", ":- .gitignore", ":- .rvignore"]);
    expect(rules).toEqual(expect.arrayContaining(["- .git/", "- .venv/", "- wandb/", "- __pycache__/", "- *.ckpt"]));
  });

  it("goes through rv's ssh config, makes the workspace's parents first, and never splits a path with spaces", () => {
    const args = rsyncArgs({ ...plan, local: "/home/me/my proj", dryRun: true });
    expect(args.slice(0, 6)).toEqual([
      "-a",
      "-z",
      "--protect-args",
      "--itemize-changes",
      "-e",
      "ssh -F '/home/me/.rv/ssh/config' -o BatchMode=yes",
    ]);
    expect(args).toContain("--dry-run");
    expect(args.slice(-4)).toEqual([
      "--rsync-path",
      "mkdir -p '/scratch/me/.rv/workspaces/proj' && rsync",
      "/home/me/my proj/",
      "rv-lab:/scratch/me/.rv/workspaces/proj/",
    ]);
  });

  it("a pull takes everything there and lands here", () => {
    const args = rsyncArgs({ ...plan, direction: "pull", local: "/home/me/proj/runs", remote: "/w/proj/runs" });
    expect(args).not.toContain("--filter");
    expect(args.slice(-2)).toEqual(["rv-lab:/w/proj/runs/", "/home/me/proj/runs/"]);
  });
});

describe("what rsync says", () => {
  it("itemized changes: files sent and deleted; directories only when new", () => {
    const out = [
      "cd+++++++++ src/",
      "<f+++++++++ src/train.py",
      ".d..t...... data/",
      "<f.st...... data/params.txt",
      "*deleting   old.py",
      "sent 1,234 bytes  received 56 bytes",
    ].join("\n");
    expect(parseChanges(out)).toEqual([
      { what: "cd+++++++++", path: "src/" },
      { what: "<f+++++++++", path: "src/train.py" },
      { what: "<f.st......", path: "data/params.txt" },
      { what: "*deleting", path: "old.py" },
    ]);
  });

  it("rsync missing on the cluster is said so, with what to do; an ssh failure is a connection problem", () => {
    const missing = rsyncFailure(127, "bash: line 1: rsync: command not found\nrsync: connection unexpectedly closed", {
      host: "rv-lab",
    });
    expect(missing.message).toBe("rsync is not installed on the cluster (rv-lab)");
    expect(missing.hint).toMatch(/module load rsync/);
    expect(rsyncFailure(255, "ssh: connect to host x port 22: Connection refused", { host: "rv-lab" }).code).toBe(
      "unreachable",
    );
  });
});

describe("where a project goes", () => {
  it("its root is the nearest directory up with .git or rv.toml, else where you are", () => {
    const exists = (file: string) => file === "/home/me/proj/.git";
    expect(projectRoot("/home/me/proj/src/models", exists)).toBe("/home/me/proj");
    expect(projectRoot("/tmp/scratch", () => false)).toBe("/tmp/scratch");
  });

  it("its workspace is named after it under the cluster root; a task runs at the same relative place", () => {
    expect(defaultWorkspace("/scratch/me/.rv", "/home/me/my proj")).toBe("/scratch/me/.rv/workspaces/my_proj");
    expect(workspaceCwd("/w/proj", "/home/me/proj", "/home/me/proj/src/sub")).toBe("/w/proj/src/sub");
    expect(workspaceCwd("/w/proj", "/home/me/proj", "/home/me/proj")).toBe("/w/proj");
    expect(() => workspaceCwd("/w/proj", "/home/me/proj", "/home/me/other")).toThrow(/outside the project/);
  });
});
