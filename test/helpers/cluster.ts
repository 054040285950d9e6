import { join } from "node:path";

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
