import { posix } from "node:path";
import type { ClusterConfig } from "../../config/index.ts";
import { RvError, type RvErrorCode } from "../../errors.ts";
import { type CommandResult, type FileRemote, type OutputSink, type Remote, upload } from "../../remote/index.ts";
import { deployedName, standaloneBinary } from "../build-info.ts";
import { type OpName, RPC_VERSION, type RpcRequest, RpcResponseSchema } from "./protocol.ts";

/** Where this build of rv lives on the cluster. */
export function deployedPath(cluster: ClusterConfig): string {
  return posix.join(cluster.root, "bin", deployedName);
}

/**
 * Asks the rv on the login node to run one op: one ssh round trip. The first call of a new build finds no
 * binary there (exit 127), deploys it, and asks again.
 */
export async function callCluster(
  remote: Remote,
  cluster: ClusterConfig,
  env: NodeJS.ProcessEnv,
  op: OpName,
  args: unknown,
): Promise<unknown> {
  const request: RpcRequest = { v: RPC_VERSION, op, root: cluster.root, args };
  const command = { argv: [deployedPath(cluster), "rpc"], stdin: JSON.stringify(request) };
  let [result] = await remote.run([command]);
  if (result && isMissingBinary(result)) {
    await deployRv(remote, cluster, env);
    [result] = await remote.run([command]);
  }
  return readResponse(result as CommandResult, remote.where);
}

/**
 * Asks the rv on the login node to run one op whose output streams back as it comes (`rv run`, `--follow`),
 * and resolves with its exit status. A first look makes sure this build is deployed there: a long-running
 * call can afford the extra round trip, and a missing binary must not print its error into the stream.
 */
export async function streamFromCluster(
  remote: FileRemote,
  cluster: ClusterConfig,
  env: NodeJS.ProcessEnv,
  op: OpName,
  args: unknown,
  sink: OutputSink,
): Promise<number> {
  const [found] = await remote.run([{ argv: ["test", "-x", deployedPath(cluster)] }]);
  if (found?.exitCode !== 0) await deployRv(remote, cluster, env);
  const request: RpcRequest = { v: RPC_VERSION, op, root: cluster.root, args };
  return remote.stream([deployedPath(cluster), "rpc"], JSON.stringify(request), sink);
}

function isMissingBinary(result: CommandResult): boolean {
  return result.exitCode === 127 || (result.exitCode === 126 && /permission denied/i.test(result.stderr));
}

/**
 * Copies this build to `<root>/bin/rv-<version>-<build>` (checksum verified, renamed into place, so a
 * concurrent caller never runs half a binary), creating the root private (0700) on the way.
 */
export async function deployRv(remote: Remote, cluster: ClusterConfig, env: NodeJS.ProcessEnv): Promise<string> {
  const target = deployedPath(cluster);
  const [made] = await remote.run([{ argv: ["mkdir", "-p", "-m", "700", cluster.root, posix.dirname(target)] }]);
  if (made && made.exitCode !== 0) {
    throw new RvError("cluster", `cannot create ${cluster.root} on ${remote.where}: ${made.stderr.trim()}`, {
      hint: "choose a root you can write to: rv init --root DIR",
    });
  }
  await upload(remote, standaloneBinary(env), target);
  return target;
}

function readResponse(result: CommandResult, where: string): unknown {
  let json: unknown;
  try {
    json = JSON.parse(result.stdout);
  } catch {
    throw new RvError("cluster", `rv on ${where} did not answer (exit ${result.exitCode}): ${lastLine(result)}`, {
      hint: "rv doctor checks the deployed rv; RV_DEBUG=1 shows more",
    });
  }
  const response = RpcResponseSchema.safeParse(json);
  if (!response.success) {
    throw new RvError("cluster", `rv on ${where} answered in a form this rv does not know`, {
      hint: "the deployed build may differ from this one: rv doctor",
    });
  }
  if ("error" in response.data) {
    const { code, message, hint } = response.data.error;
    throw new RvError(code as RvErrorCode, `${where}: ${message}`, hint ? { hint } : {});
  }
  return response.data.result;
}

function lastLine(result: CommandResult): string {
  return (result.stderr || result.stdout).trim().split("\n").at(-1) ?? "";
}
