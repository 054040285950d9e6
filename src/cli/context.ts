import { type Config, clusterList, loadConfig, selectCluster } from "../config/index.ts";
import { rvHome } from "../fsqueue/index.ts";
import { clusterPlace, localPlace, type Place } from "../ops/places.ts";
import { type Io, processIo } from "./io.ts";

/** What every command needs from the outside world, built once in main.ts and faked in tests. */
export interface Context {
  root: string;
  env: NodeJS.ProcessEnv;
  io: Io;
  now: () => Date;
  json: boolean;
  /** `config.cluster` is the cluster this command uses. */
  config: Config;
  /** This machine's leases. */
  local: Place;
  /** The cluster this command uses (`--cluster NAME`, RV_CLUSTER, else `rv cluster use`'s); null without one. */
  cluster: Place | null;
  /** Whether `--cluster` or RV_CLUSTER named the cluster: then a lease not on this machine is looked for there. */
  clusterNamed: boolean;
  /** Every configured cluster, in name order. */
  clusters: Place[];
}

/** `wanted`: the `--cluster` flag's value; RV_CLUSTER stands in when it is absent. */
export function contextOf(root: string, env: NodeJS.ProcessEnv, io: Io, json: boolean, flag?: string): Context {
  const wanted = flag || env.RV_CLUSTER || undefined;
  const config = selectCluster(loadConfig(root, env), wanted);
  const clusters = clusterList(config).map((cluster) => clusterPlace(root, cluster, env));
  return {
    root,
    env,
    io,
    now: () => new Date(),
    json,
    config,
    local: localPlace(root, config, env),
    cluster: clusters.find((place) => place.name === config.cluster?.name) ?? null,
    clusterNamed: wanted !== undefined,
    clusters,
  };
}

export function processContext(json: boolean, flag?: string): Context {
  return contextOf(rvHome(process.env), process.env, processIo(), json, flag);
}
