import { hostname, userInfo } from "node:os";
import type { Config } from "../../config/index.ts";
import { localRemote, type Remote } from "../../remote/index.ts";
import type { Context } from "../context.ts";
import { bufferIo, type Io } from "../io.ts";

/** What an op sees on the login node: the cluster root as rv's home, and Slurm on this machine. */
export interface ClusterSide {
  ctx: Context;
  config: Config;
  remote: Remote;
  user: string;
}

/** `io`: where a streaming op writes (the ssh session); other ops answer in JSON and print nothing. */
export function clusterSide(root: string, config: Config, env: NodeJS.ProcessEnv, io: Io = bufferIo()): ClusterSide {
  const ctx: Context = { root, env, io, host: hostname(), now: () => new Date(), json: false };
  return { ctx, config, remote: localRemote(), user: userInfo().username };
}
