import { join } from "node:path";
import { execa } from "execa";

/** Where test/cluster/up.sh put the dev cluster (the cluster project's global setup has brought it up). */
const state = process.env.RV_CLUSTER_STATE ?? "/var/lib/rv-devcluster";

export const devCluster = {
  state,
  sshConfig: join(state, "ssh", "config"),
  identityFile: join(state, "ssh", "id_ed25519"),
  knownHosts: join(state, "ssh", "known_hosts"),
  /** ssh aliases in sshConfig: root, and the unprivileged labuser (uid 1001). */
  rootAlias: "rv-devcluster",
  userAlias: "rv-devcluster-user",
  sshPort: 2222,
  account: "lab",
};

/** Ends the ControlMaster rv started for `alias` under an RV_HOME, so no ssh process outlives the test. */
export async function closeSshMaster(rvHome: string, alias: string): Promise<void> {
  await execa("ssh", ["-F", join(rvHome, "ssh", "config"), "-O", "exit", alias], { reject: false });
}

/**
 * `rv init --yes` of a laptop home against the dev cluster (root over the loopback sshd), with `root` as rv's
 * directory on the cluster. Throws with rv's message when it fails.
 */
export async function initLaptop(laptopHome: string, root: string, name: string): Promise<void> {
  const init = await execa(
    join(import.meta.dirname, "..", "..", "dist", "rv"),
    [
      ...["init", "--yes", "--host", "127.0.0.1", "--port", String(devCluster.sshPort), "--user", "root"],
      ...["--identity-file", devCluster.identityFile, "--account", devCluster.account, "--root", root, "--name", name],
    ],
    { env: { RV_HOME: laptopHome, NO_COLOR: "1" }, reject: false, stdin: "ignore" },
  );
  if (init.exitCode !== 0) throw new Error(`rv init failed: ${init.stderr}`);
}

/**
 * Cancels every job with one of these names, and the watchdogs of every lease a segment name (`rv-<lease>-<n>`)
 * belongs to, first: a segment's cancellation would wake its watchdog. (`scancel -n` takes a single name, and a
 * comma list matches nothing, so the ids are listed first.)
 */
export async function scancelByName(names: readonly string[]): Promise<void> {
  const watchdogs = names.flatMap((name) => {
    const lease = /^rv-(.+)-\d+$/.exec(name)?.[1];
    return lease ? [`rv-${lease}-watch`] : [];
  });
  for (const batch of [[...new Set(watchdogs)], names]) {
    if (batch.length === 0) continue;
    const listed = await execa("squeue", ["-h", "-n", batch.join(","), "-o", "%i"], { reject: false });
    const ids = listed.stdout.split("\n").filter((id) => id.trim());
    if (ids.length) await execa("scancel", ids, { reject: false });
  }
}

/** Every job squeue lists (any state) under a segment name of `lease` (`rv-<lease>-<n>`): its segments and racers. */
export async function leaseSegmentJobs(lease: string): Promise<{ id: string; name: string; state: string }[]> {
  return (await execa("squeue", ["-h", "-t", "all", "-o", "%i %j %T"])).stdout
    .split("\n")
    .map((line) => line.split(" "))
    .filter(([, name]) => name?.startsWith(`rv-${lease}-`) && /-\d+$/.test(name))
    .map(([id = "", name = "", state = ""]) => ({ id, name, state }));
}

/** Slurm's states of a job that still holds or waits for its allocation. */
export const ALIVE_JOB_STATES: ReadonlySet<string> = new Set(["PENDING", "CONFIGURING", "RUNNING", "COMPLETING"]);
