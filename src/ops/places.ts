import { existsSync } from "node:fs";
import { hostname, userInfo } from "node:os";
import { join, posix } from "node:path";
import type { ClusterConfig, Config } from "../config/index.ts";
import { RvError, type RvErrorCode } from "../errors.ts";
import { leasePaths } from "../fsqueue/index.ts";
import { lookAtLease } from "../lease/store.ts";
import { localRemote } from "../remote/local.ts";
import { sshRemote } from "../remote/ssh.ts";
import type { FileRemote } from "../remote/types.ts";
import type { z } from "../zod.ts";
import { deployedName } from "./build-info.ts";
import { type Listing, type ListOp, listing, type Op, type OpEnv, type Sink } from "./op.ts";
import type { Frame, RpcRequest } from "./wire.ts";

/**
 * Where a lease lives, and so where its ops run: this machine (in-process) or a cluster (the same op on the login
 * node, through `rv rpc` over the shared ssh connection: one round trip per call, output streamed as it comes).
 */
export interface Place {
  /** "local", or the cluster's name. */
  readonly name: string;
  readonly kind: "local" | "cluster";
  /** For messages: "this machine", or "cluster dev (127.0.0.1)". */
  readonly where: string;
  call<I extends z.ZodMiniType, R extends z.ZodMiniType>(
    op: Op<I, R>,
    input: z.input<I>,
    options?: CallOptions,
  ): Promise<z.output<R>>;
  /** A list op's items one at a time: here as the op reads them, from a cluster as its one checked answer has them. */
  list<I extends z.ZodMiniType, T>(op: ListOp<I, T>, input: z.input<I>, options?: CallOptions): Promise<Listing<T>>;
}

export interface CallOptions {
  sink?: Sink;
  /** Stop listening: a following op ends early and answers with what it has. */
  signal?: AbortSignal;
  /** Give up on a cluster's answer after this long (the call is killed and rejects as out of reach). */
  timeoutMs?: number;
}

/** A sink that drops everything: for a caller that shows an op's outcome its own way (an Ink view, a listing). */
export const silentSink: Sink = { out: () => {}, err: () => {}, note: () => {}, progress: () => {} };

/** The environment an op runs in at `root` on this machine (the laptop's home, or the cluster root on a login node). */
export function opEnv(
  root: string,
  config: Config,
  env: NodeJS.ProcessEnv,
  cwd: string,
  options: CallOptions = {},
): OpEnv {
  return {
    root,
    config,
    env,
    cwd,
    remote: localRemote(),
    host: hostname(),
    user: userInfo().username,
    now: () => new Date(),
    signal: options.signal ?? new AbortController().signal,
    sink: options.sink ?? silentSink,
  };
}

/**
 * This machine: the op runs in-process, and its result is checked against its schema as a cluster's would be. A list
 * op's items are not: they are yielded as read, and their type is their schema's output (ListOp).
 */
export function localPlace(root: string, config: Config, env: NodeJS.ProcessEnv): Place {
  return {
    name: "local",
    kind: "local",
    where: "this machine",
    async call(op, input, options) {
      const parsed = checked(op.name, "input", op.input, input, "this machine");
      const result = await op.run(opEnv(root, config, env, process.cwd(), options), parsed);
      return checked(op.name, "result", op.result, result, "this machine");
    },
    async list(op, input, options) {
      const parsed = checked(op.name, "input", op.input, input, "this machine");
      return op.list(opEnv(root, config, env, process.cwd(), options), parsed);
    },
  };
}

/**
 * Whether this machine's root holds the lease: a lease named on the command line lives here, else on the cluster. A
 * lease whose record was put aside as bad is still here: its queue is.
 */
export function leaseHere(root: string, id: string): boolean {
  return existsSync(leasePaths(root, id).leaseFile) || lookAtLease(root, id).kind === "bad";
}

export function requireCluster(config: Config): ClusterConfig {
  if (config.cluster) return config.cluster;
  const names = Object.keys(config.clusters);
  if (names.length > 0) {
    throw new RvError("usage", `no cluster is in use (there are: ${names.join(", ")})`, {
      hint: "pick one for this command with --cluster NAME, or for every command with rv cluster use NAME",
    });
  }
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

/** Where this build of rv lives on the cluster. */
export function deployedPath(cluster: ClusterConfig): string {
  return posix.join(cluster.root, "bin", deployedName);
}

/**
 * The cluster: each call is one ssh round trip to the rv deployed there. The first call of a new build finds no
 * binary (exit 127 before any frame), deploys it, and asks again.
 */
export function clusterPlace(root: string, cluster: ClusterConfig, env: NodeJS.ProcessEnv): Place {
  const remote = clusterRemote(root, cluster.host);
  const place: Place = {
    name: cluster.name,
    kind: "cluster",
    where: `cluster ${cluster.name} (${cluster.host})`,
    async call(op, input, options = {}) {
      checked(op.name, "input", op.input, input, "this machine");
      let answer = await exchange(remote, cluster, op.name, input, options);
      if (answer.kind === "missing") {
        await deployRv(remote, cluster, env);
        answer = await exchange(remote, cluster, op.name, input, options);
      }
      return checked(op.name, "result", op.result, settle(answer, remote.where), remote.where);
    },
    async list(op, input, options) {
      const { items, total } = await place.call(op, input, options);
      return listing(items, total);
    },
  };
  return place;
}

/**
 * An op's input as it leaves, and its result where it arrives, checked against the op's schema: a result that
 * does not match is never rendered as if it did (a cluster running another build, or a bug).
 */
function checked<S extends z.ZodMiniType>(
  name: string,
  what: "input" | "result",
  schema: S,
  value: unknown,
  where: string,
): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const at = issue?.path.length ? `${issue.path.join(".")}: ` : "";
  throw new RvError(
    "internal",
    `the ${what} of op ${name} on ${where} does not match its schema: ${at}${issue?.message}`,
    {
      hint: "the deployed build may differ from this one (rv doctor); otherwise this is a bug in rv",
    },
  );
}

type Answer =
  | { kind: "frame"; frame: Extract<Frame, { result: unknown } | { error: unknown }> }
  | { kind: "missing" }
  | { kind: "none"; exitCode: number; stderr: string; garbled: boolean; reached: boolean };

/**
 * The call reached the rv on the far side (its first frame came back) and then broke: the op may have done its
 * work there. Never retried elsewhere as if the far side had not been asked.
 */
export class CallBroke extends RvError {}

async function exchange(
  remote: FileRemote,
  cluster: ClusterConfig,
  op: string,
  input: unknown,
  options: CallOptions,
): Promise<Answer> {
  // The wire's frames and their schemas are loaded by the first call to a cluster, not with every command.
  const { frameReader, RPC_VERSION } = await import("./wire.ts");
  const request: RpcRequest = { v: RPC_VERSION, op, root: cluster.root, input };
  const sink = options.sink ?? silentSink;
  let final: Extract<Answer, { kind: "frame" }>["frame"] | undefined;
  let reached = false;
  let garbled = false;
  let stderr = "";
  const read = frameReader((frame) => {
    reached = true;
    if (frame === null) garbled = true;
    else if ("hello" in frame) return;
    else if ("out" in frame) sink.out(frame.out);
    else if ("err" in frame) sink.err(frame.err);
    else if ("note" in frame) sink.note(frame.note);
    else if ("progress" in frame) sink.progress(frame.progress);
    else final = frame;
  });
  const keepErr = (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  };
  let exitCode: number;
  try {
    exitCode = await remote.stream(
      [deployedPath(cluster), "rpc"],
      `${JSON.stringify(request)}\n`,
      { out: read, err: keepErr },
      options.signal,
      options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs),
    );
  } catch (error) {
    // The answer came whole before the connection went (a drop at logout): it stands.
    if (final) return { kind: "frame", frame: final };
    if (reached && error instanceof RvError) throw brokeOff(error, request.op);
    throw error;
  }
  if (final) return { kind: "frame", frame: final };
  if (!reached && (exitCode === 127 || (exitCode === 126 && /permission denied/i.test(stderr)))) {
    return { kind: "missing" };
  }
  return { kind: "none", exitCode, stderr, garbled, reached };
}

function brokeOff(error: RvError, op: string): CallBroke {
  return new CallBroke(error.code, `${error.message}; the ${op} may have run there`, {
    hint: "rv tasks shows what happened; a read is safe to run again",
  });
}

function settle(answer: Answer, where: string): unknown {
  if (answer.kind === "frame") {
    if ("result" in answer.frame) return answer.frame.result;
    const { code, message, hint } = answer.frame.error;
    throw new RvError(code as RvErrorCode, `${where}: ${message}`, hint ? { hint } : {});
  }
  if (answer.kind === "none" && answer.garbled) {
    throw new RvError("cluster", `rv on ${where} answered in a form this rv does not know`, {
      hint: "the deployed build may differ from this one: rv doctor",
    });
  }
  const last = answer.kind === "none" ? answer.stderr.trim().split("\n").at(-1) : "";
  const exit = answer.kind === "none" ? answer.exitCode : 127;
  const Failure = answer.kind === "none" && answer.reached ? CallBroke : RvError;
  throw new Failure("cluster", `rv on ${where} did not answer (exit ${exit}): ${last ?? ""}`, {
    hint: "rv doctor checks the deployed rv; RV_DEBUG=1 shows more",
  });
}

/**
 * Copies this build to `<root>/bin/rv-<version>-<build>` (checksum verified, renamed into place, so a
 * concurrent caller never runs half a binary), creating the root private (0700) on the way.
 */
export async function deployRv(remote: FileRemote, cluster: ClusterConfig, env: NodeJS.ProcessEnv): Promise<string> {
  const target = deployedPath(cluster);
  const [made] = await remote.run([{ argv: ["mkdir", "-p", "-m", "700", cluster.root, posix.dirname(target)] }]);
  if (made && made.exitCode !== 0) {
    throw new RvError("cluster", `cannot create ${cluster.root} on ${remote.where}: ${made.stderr.trim()}`, {
      hint: "choose a root you can write to: rv init --root DIR",
    });
  }
  // Loaded here, not with this file: finding, hashing and streaming a binary are a deploy's, not every command's.
  const [{ upload }, { standaloneBinary }] = await Promise.all([
    import("../remote/upload.ts"),
    import("./standalone-binary.ts"),
  ]);
  await upload(remote, standaloneBinary(env), target);
  return target;
}
