import { join } from "node:path";
import type { ClusterConfig, Config } from "../../config/index.ts";
import { RvError } from "../../errors.ts";
import { type FileRemote, localRemote, sshRemote } from "../../remote/index.ts";

export function requireCluster(config: Config): ClusterConfig {
  if (config.cluster) return config.cluster;
  throw new RvError("usage", "no cluster is configured", {
    hint: "set one up with: rv init --host LOGIN_NODE --user USER (rv init --help for the rest)",
  });
}

/** rv's ssh config and control sockets live under $RV_HOME/ssh (0700). */
export function sshDir(root: string): string {
  return join(root, "ssh");
}

/** `host` is the cluster's ssh alias in rv's own ssh config, or `local` on the login node itself. */
export function clusterRemote(root: string, host: ClusterConfig["host"]): FileRemote {
  if (host === "local") return localRemote();
  return sshRemote({ host, configFile: join(sshDir(root), "config"), controlDir: sshDir(root) });
}
