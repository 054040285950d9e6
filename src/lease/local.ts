import { closeSync, openSync, readFileSync } from "node:fs";
import { inheritedEnv } from "../config/index.ts";
import { RvError } from "../errors.ts";
import { type LocalLease, leasePaths, readHeartbeats } from "../fsqueue/index.ts";

/** How to run this same rv again: the standalone binary is its own interpreter; a script needs Node. */
export function selfCommand(): { file: string; args: string[] } {
  const script = process.argv[1];
  if (!script || script.startsWith("/$bunfs/") || script.startsWith("B:\\~BUN")) {
    return { file: process.execPath, args: [] };
  }
  return { file: process.execPath, args: [script] };
}

export function runnerArgs(lease: LocalLease): string[] {
  const args = ["runner", "--lease", lease.id];
  if (lease.gpuIds) args.push("--gpu-ids", lease.gpuIds.join(","));
  if (lease.cpus) args.push("--cpus", String(lease.cpus));
  return args;
}

/**
 * Starts the lease's runner as a detached process in its own session, so it outlives this terminal,
 * and returns once its first heartbeat is on disk (or fails with what the runner said).
 */
export async function startLocalRunner(
  root: string,
  lease: LocalLease,
  env: NodeJS.ProcessEnv,
  timeoutMs = 15_000,
): Promise<{ pid: number }> {
  const p = leasePaths(root, lease.id);
  const self = selfCommand();
  // A descriptor, not execa's `{file}` target: execa pipes file targets through this process, which would
  // tie the runner's output to a CLI that is about to exit. Its types list only fds 3-9, hence the cast.
  const { execa } = await import("execa");
  const logFd = openSync(p.runnerLog, "a", 0o600) as 3;
  const child = execa(self.file, [...self.args, ...runnerArgs(lease)], {
    detached: true,
    cleanup: false,
    stdin: "ignore",
    stdout: logFd,
    stderr: logFd,
    reject: false,
    env: { ...inheritedEnv(env, { withRvSettings: true }), RV_HOME: root },
    extendEnv: false,
  });
  closeSync(logFd);
  let exited = false;
  child.then(() => {
    exited = true;
  });
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new RvError("io", `could not start the runner for lease ${lease.id}`);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (readHeartbeats(p).some((hb) => hb.pid === pid)) return { pid };
    if (exited) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new RvError("io", `the runner for lease ${lease.id} did not start`, {
    hint: `its log says: ${tail(p.runnerLog)}`,
  });
}

function tail(file: string): string {
  try {
    return readFileSync(file, "utf8").trim().split("\n").slice(-3).join(" | ") || "(nothing)";
  } catch {
    return "(no log)";
  }
}
