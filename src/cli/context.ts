import { type Config, loadConfig } from "../config/index.ts";
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
  config: Config;
  /** This machine's leases. */
  local: Place;
  /** The configured cluster's leases; null without `rv init`. */
  cluster: Place | null;
}

export function contextOf(root: string, env: NodeJS.ProcessEnv, io: Io, json: boolean): Context {
  const config = loadConfig(root, env);
  return {
    root,
    env,
    io,
    now: () => new Date(),
    json,
    config,
    local: localPlace(root, config, env),
    cluster: config.cluster ? clusterPlace(root, config.cluster, env) : null,
  };
}

export function processContext(json: boolean): Context {
  return contextOf(rvHome(process.env), process.env, processIo(), json);
}
