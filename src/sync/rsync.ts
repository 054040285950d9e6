import { mkdirSync } from "node:fs";
import { execa } from "execa";
import { RvError } from "../errors.ts";
import { shQuote } from "../remote/index.ts";
import { syncFilters } from "./filters.ts";

/** One rsync run between a directory here and one on the cluster, through rv's ssh config (its ControlMaster). */
export interface SyncPlan {
  direction: "push" | "pull";
  local: string;
  remote: string;
  /** The cluster's alias in rv's ssh config. */
  host: string;
  sshConfig: string;
  dryRun: boolean;
  /** Patterns taken even though .gitignore, .rvignore or the defaults leave them out (push only). */
  includes: readonly string[];
  /** Remove files on the receiving side that the sending side no longer has (those left out are kept). */
  delete: boolean;
  /** A pull of only these (globs relative to the remote directory, as a task's `--outputs` declares them). */
  only?: readonly string[];
}

/** rsync's argv. Paths go as arguments of their own (`--protect-args`): no remote shell splits them. */
export function rsyncArgs(plan: SyncPlan): string[] {
  const ssh = `ssh -F ${shQuote(plan.sshConfig)} -o BatchMode=yes`;
  const rules = plan.direction === "push" ? syncFilters(plan.includes) : onlyFilters(plan.only);
  const filters = rules.flatMap((rule) => ["--filter", rule]);
  const common = ["-a", "-z", "--protect-args", "--itemize-changes", "-e", ssh, ...(plan.only?.length ? ["-m"] : [])];
  const options = [...common, ...(plan.dryRun ? ["--dry-run"] : []), ...(plan.delete ? ["--delete"] : []), ...filters];
  const there = `${plan.host}:${plan.remote}/`;
  if (plan.direction === "pull") return [...options, there, `${plan.local}/`];
  // The workspace's parents may not exist yet: made by the same connection, before rsync starts there.
  return [...options, "--rsync-path", `mkdir -p ${shQuote(plan.remote)} && rsync`, `${plan.local}/`, there];
}

/** Every directory is walked, the globs taken, the rest left; directories that end up empty are not made. */
function onlyFilters(only: readonly string[] | undefined): string[] {
  if (!only || only.length === 0) return [];
  return ["+ */", ...only.map((glob) => `+ ${glob}`), "- *"];
}

export interface Change {
  /** rsync's itemized change: `>f+++++++++` a new file sent, `>f.st......` a changed one, `*deleting`. */
  what: string;
  path: string;
}

/** The files rsync moved (or would move), from its `--itemize-changes` lines; directories' attribute updates left out. */
export function parseChanges(stdout: string): Change[] {
  return stdout.split("\n").flatMap((line) => {
    const match = /^(\*deleting) +(.+)$|^([<>ch.][fdLDS]\S*) (.+)$/.exec(line.trimEnd());
    const what = match?.[1] ?? match?.[3];
    const path = match?.[2] ?? match?.[4];
    if (!what || !path) return [];
    const unchangedDir = what !== "*deleting" && what[1] === "d" && !what.includes("+");
    if (what.startsWith(".") || unchangedDir) return [];
    return [{ what, path }];
  });
}

/** Why rsync failed, as a person can act on it. */
export function rsyncFailure(exitCode: number | undefined, stderr: string, plan: Pick<SyncPlan, "host">): RvError {
  const last = stderr.trim().split("\n").at(-1) ?? "";
  if (/rsync: (command )?not found|rsync: No such file/.test(stderr) || (exitCode === 127 && /rsync/.test(stderr))) {
    return new RvError("cluster", `rsync is not installed on the cluster (${plan.host})`, {
      hint: "rv installs nothing there: ask its admins for rsync, or load it in your shell's startup (module load rsync)",
    });
  }
  if (exitCode === 255) {
    return new RvError("unreachable", `ssh to ${plan.host} failed: ${last}`, {
      hint: "check the connection: rv doctor",
    });
  }
  return new RvError("io", `rsync failed (exit ${exitCode ?? "signal"}): ${last}`);
}

export async function runRsync(plan: SyncPlan): Promise<Change[]> {
  if (plan.direction === "pull") mkdirSync(plan.local, { recursive: true });
  // No exit hook of execa's (cleanup): it would end rv on a Ctrl-C that `rv sync watch` handles itself. rsync is in
  // rv's process group, so a Ctrl-C at the terminal reaches it anyway.
  const result = await execa("rsync", rsyncArgs(plan), { reject: false, cleanup: false });
  if ((result as { code?: string }).code === "ENOENT") {
    throw new RvError("usage", "rsync is not installed on this machine", {
      hint: "install it: apt-get install rsync, or brew install rsync",
    });
  }
  if (result.exitCode !== 0) throw rsyncFailure(result.exitCode, result.stderr, plan);
  return parseChanges(result.stdout);
}
