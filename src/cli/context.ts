import { type Config, clusterList, loadConfig, selectCluster } from "../config/index.ts";
import { rvHome } from "../fsqueue/index.ts";
import type { Sink } from "../ops/op.ts";
import { clusterPlace, localPlace, type Place, silentSink } from "../ops/places.ts";
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
  const clusters = clusterList(config).map((cluster) => notingPlace(clusterPlace(root, cluster, env), io));
  return {
    root,
    env,
    io,
    now: () => new Date(),
    json,
    config,
    local: notingPlace(localPlace(root, config, env), io),
    cluster: clusters.find((place) => place.name === config.cluster?.name) ?? null,
    clusterNamed: wanted !== undefined,
    clusters,
  };
}

export function processContext(json: boolean, flag?: string): Context {
  return contextOf(rvHome(process.env), process.env, processIo(), json, flag);
}

/**
 * A place whose calls that bring no sink of their own still tell the person at this terminal what an op notes (a
 * warning, such as a lease record a listing put aside); the rest of such a call's output is dropped.
 */
function notingPlace(place: Place, io: Io): Place {
  const notes: Sink = { ...silentSink, note: (text) => io.err(`rv: ${text}\n`) };
  return {
    ...place,
    call: (op, input, options = {}) => place.call(op, input, { ...options, sink: options.sink ?? notes }),
    list: (op, input, options = {}) => place.list(op, input, { ...options, sink: options.sink ?? notes }),
  };
}
