import { hostname, userInfo } from "node:os";
import type { Config } from "../../config/index.ts";
import { localRemote, type Remote } from "../../remote/index.ts";
import type { Context } from "../context.ts";
import { bufferIo } from "../io.ts";

/** What an op sees on the login node: the cluster root as rv's home, and Slurm on this machine. */
export interface ClusterSide {
  ctx: Context;
  config: Config;
  remote: Remote;
  user: string;
}

export function clusterSide(root: string, config: Config, env: NodeJS.ProcessEnv): ClusterSide {
  const ctx: Context = { root, env, io: bufferIo(), host: hostname(), now: () => new Date(), json: true };
  return { ctx, config, remote: localRemote(), user: userInfo().username };
}
