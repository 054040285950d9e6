import { join } from "node:path";
import { type ClusterConfig, clusterList, selectCluster } from "../../config/index.ts";
import { removeClusterConfig, setClusterInUse } from "../../config/write.ts";
import { sshDir } from "../../ops/index.ts";
import { removeSshHostBlock, sshLoginOf } from "../../remote/index.ts";
import { keyOptions, loadSecrets, saveSecrets, withoutCluster } from "../../secrets/index.ts";
import { forgetClusterNames } from "../completion/cache.ts";
import type { Context } from "../context.ts";
import { printJson, renderTable } from "../output.ts";

/** `rv cluster ls`: every cluster rv knows, the one in use marked; read from this machine alone, no round trip. */
export async function runClusterLs(ctx: Context): Promise<number> {
  const inUse = ctx.config.defaults.cluster ?? ctx.config.cluster?.name ?? null;
  const rows = clusterList(ctx.config).map((cluster) => ({
    ...cluster,
    inUse: cluster.name === inUse,
    login: loginOf(ctx, cluster),
  }));
  if (ctx.json) {
    printJson(ctx.io, { clusters: rows, inUse });
    return 0;
  }
  if (rows.length === 0) {
    ctx.io.err("rv: no clusters yet: rv init --name NAME --host LOGIN_NODE --user USER adds one\n");
    return 0;
  }
  const table = rows.map((c) => [c.inUse ? "*" : " ", c.name, c.login, c.account ?? "-", c.root, c.profile ?? "-"]);
  ctx.io.out(renderTable(ctx.io, [" ", "cluster", "login", "account", "root", "profile"], table));
  return 0;
}

/** `rv cluster use NAME`: the cluster every command uses from now on when `--cluster` names none. */
export async function runClusterUse(ctx: Context, name: string): Promise<number> {
  selectCluster(ctx.config, name);
  setClusterInUse(ctx.root, name);
  if (ctx.json) printJson(ctx.io, { inUse: name });
  else ctx.io.err(`rv: cluster ${name} is in use; --cluster NAME picks another for one command\n`);
  return 0;
}

/**
 * `rv cluster rm NAME`: forgets the cluster on this machine: its settings, rv's ssh block for it, the names seen
 * there, and its own secrets. Nothing on the cluster is touched: leases there run on until they end.
 */
export async function runClusterRm(ctx: Context, name: string): Promise<number> {
  const cluster = selectCluster(ctx.config, name).cluster as ClusterConfig;
  const inUse = removeClusterConfig(ctx.root, name);
  const sshBlock = cluster.host !== "local" && removeSshHostBlock(sshConfigFile(ctx), cluster.host);
  await forgetClusterNames(ctx.root, name);
  const secrets = forgetSecrets(ctx, name);
  if (ctx.json) {
    printJson(ctx.io, { removed: name, inUse, sshBlock, secrets });
    return 0;
  }
  const secretsPart = secrets ? `, ${secrets} of its secrets` : "";
  ctx.io.err(`rv: forgot cluster ${name} (its settings${sshBlock ? ", its ssh block" : ""}${secretsPart})\n`);
  ctx.io.err(`rv: leases still on ${name} run on until they end; rv init --name ${name} reaches them again\n`);
  if (inUse && inUse !== ctx.config.defaults.cluster) ctx.io.err(`rv: cluster ${inUse} is in use now\n`);
  return 0;
}

function forgetSecrets(ctx: Context, name: string): number {
  const keys = keyOptions(ctx.root, ctx.env);
  const { store, removed } = withoutCluster(loadSecrets(keys), name);
  if (removed > 0) saveSecrets(keys, store);
  return removed;
}

function sshConfigFile(ctx: Context): string {
  return join(sshDir(ctx.root), "config");
}

function loginOf(ctx: Context, cluster: ClusterConfig): string {
  if (cluster.host === "local") return "(on the login node)";
  return sshLoginOf(sshConfigFile(ctx), cluster.host) ?? cluster.host;
}
