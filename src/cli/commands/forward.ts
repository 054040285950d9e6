import { join } from "node:path";
import { RvError } from "../../errors.ts";
import {
  candidatesOp,
  type DetectedServer,
  describeServer,
  type ForwardTarget,
  forwardOp,
  leaseHere,
  requireCluster,
  sshDir,
} from "../../ops/index.ts";
import { freeLocalPort, type PortForward, relayTunnel, sshTunnel, type Tunnel } from "../../remote/index.ts";
import type { Context } from "../context.ts";
import { printJson } from "../output.ts";

/** `PORT` or `PORT:LOCAL`: the port on the node, and the local one when it should differ. */
export interface PortSpec {
  port: number;
  local: number | null;
}

export function parsePortSpec(text: string): PortSpec {
  const m = /^(\d{1,5})(?::(\d{1,5}))?$/.exec(text);
  const port = Number(m?.[1]);
  const local = m?.[2] === undefined ? null : Number(m[2]);
  if (!m || !validPort(port) || (local !== null && !validPort(local))) {
    throw new RvError("usage", `not a port or PORT:LOCAL: ${JSON.stringify(text)}`, {
      hint: "e.g. rv forward 8888, or rv forward 8888:9999 to use local port 9999",
    });
  }
  return { port, local };
}

const validPort = (n: number) => Number.isInteger(n) && n >= 1 && n <= 65535;

export const localUrl = (localPort: number) => `http://127.0.0.1:${localPort}/`;

/**
 * `rv forward PORT[:LOCAL] [TASK|LEASE]` and `rv forward --auto [TASK|LEASE]`: local ports to ports on the node of a
 * cluster task (or lease), through the login node, until Ctrl-C. A local lease's ports are on this machine already.
 */
export async function runForward(ctx: Context, args: string[], options: { auto?: boolean }): Promise<number> {
  const { spec, ref } = forwardArgs(args, options.auto === true);
  if (await isLocal(ctx, ref)) return sayLocal(ctx, ref ?? "", spec);
  const cluster = requireCluster(ctx.config);
  let target: ForwardTarget;
  try {
    target = await (ctx.cluster ?? ctx.local).call(forwardOp, { ref, detect: spec === null });
  } catch (error) {
    if (error instanceof RvError && error.code === "not_found" && (await isLocal(ctx, ref, true)))
      return sayLocal(ctx, ref ?? "", spec);
    throw error;
  }
  for (const note of target.notes) ctx.io.err(`rv: ${note}\n`);
  const forwards = await chooseForwards(ctx, target, spec);
  const tunnel: Tunnel =
    cluster.host === "local"
      ? await relayTunnel(forwards)
      : await sshTunnel(
          { host: cluster.host, configFile: join(sshDir(ctx.root), "config"), controlDir: sshDir(ctx.root) },
          forwards,
        );
  report(ctx, target, forwards);
  return untilInterrupted(tunnel);
}

function forwardArgs(args: string[], auto: boolean): { spec: PortSpec | null; ref: string | null } {
  const [first, second, ...rest] = args;
  if (auto) {
    if (second !== undefined) throw new RvError("usage", "--auto finds the ports itself: give only TASK or LEASE");
    return { spec: null, ref: first ?? null };
  }
  if (first === undefined) {
    throw new RvError("usage", "rv forward needs a port", { hint: "rv forward 8888 TASK, or rv forward --auto TASK" });
  }
  if (rest.length)
    throw new RvError("usage", `rv forward takes PORT[:LOCAL] and one task or lease, not ${args.length}`);
  return { spec: parsePortSpec(first), ref: second ?? null };
}

/**
 * A lease of this machine, or a task only this machine has (when the cluster does not know it, or there is none).
 * `clusterSaidNo`: the cluster was asked and found nothing of that name.
 */
async function isLocal(ctx: Context, ref: string | null, clusterSaidNo = false): Promise<boolean> {
  if (ref === null) return false;
  if (leaseHere(ctx.root, ref)) return true;
  if (ctx.cluster && !clusterSaidNo) return false;
  const { candidates } = await ctx.local.call(candidatesOp, { refs: [ref] });
  return (candidates[0]?.tasks.length ?? 0) > 0;
}

function sayLocal(ctx: Context, ref: string, spec: PortSpec | null): number {
  const where = leaseHere(ctx.root, ref) ? `lease ${ref}` : `task ${ref}`;
  const port = spec ? ` at ${localUrl(spec.port)}` : "";
  ctx.io.err(`rv: ${where} runs on this machine: its ports are here already${port}; there is nothing to forward\n`);
  if (ctx.json) printJson(ctx.io, { local: true, forwards: [] });
  else if (spec) ctx.io.out(`${localUrl(spec.port)}\n`);
  return 0;
}

async function chooseForwards(ctx: Context, target: ForwardTarget, spec: PortSpec | null): Promise<PortForward[]> {
  if (spec) {
    const localPort = await freeLocalPort(spec.local ?? spec.port, spec.local !== null);
    if (localPort !== spec.port && spec.local === null)
      ctx.io.err(`rv: local port ${spec.port} is taken: using ${localPort}\n`);
    return [{ localPort, host: target.node, port: spec.port }];
  }
  const servers = target.servers ?? [];
  for (const server of servers.filter((s) => s.loopbackOnly)) {
    ctx.io.err(
      `rv: ${describeServer(server)} listens on ${target.node}'s loopback only: the login node cannot reach it ` +
        "(start it on 0.0.0.0, e.g. jupyter --ip 0.0.0.0, tensorboard --bind_all)\n",
    );
  }
  const reachable = servers.filter((s) => !s.loopbackOnly);
  if (reachable.length === 0) {
    throw new RvError("not_found", `nothing of ${whose(target)} listens on ${target.node}`, {
      hint: "name the port: rv forward PORT [TASK|LEASE]",
    });
  }
  const forwards: PortForward[] = [];
  for (const server of reachable) {
    const taken = new Set(forwards.map((f) => f.localPort));
    const localPort = await freeLocalPort(server.port, false, taken);
    if (localPort !== server.port) ctx.io.err(`rv: local port ${server.port} is taken: using ${localPort}\n`);
    forwards.push({ localPort, host: target.node, port: server.port });
  }
  return forwards;
}

const whose = (target: ForwardTarget) => (target.task ? `task ${target.task.id}` : `lease ${target.lease}`);

function report(ctx: Context, target: ForwardTarget, forwards: PortForward[]): void {
  const servers = new Map((target.servers ?? []).map((s): [number, DetectedServer] => [s.port, s]));
  if (ctx.json) {
    printJson(ctx.io, {
      lease: target.lease,
      task: target.task?.id ?? null,
      node: target.node,
      forwards: forwards.map((f) => ({
        url: localUrl(f.localPort),
        localPort: f.localPort,
        node: f.host,
        port: f.port,
        kind: servers.get(f.port)?.kind ?? null,
      })),
    });
  }
  ctx.io.err(`rv: forwarding from ${whose(target)} on ${target.node} until Ctrl-C\n`);
  for (const forward of forwards) {
    const server = servers.get(forward.port);
    const what = server ? describeServer(server) : `port ${forward.port}`;
    if (!ctx.json) ctx.io.out(`${localUrl(forward.localPort)}\n`);
    ctx.io.err(`rv:   ${localUrl(forward.localPort)} -> ${target.node}:${forward.port} (${what})\n`);
  }
}

/** Ctrl-C (or SIGTERM) ends the forward cleanly; a connection that drops by itself is an error. */
async function untilInterrupted(tunnel: Tunnel): Promise<number> {
  let stop = () => {};
  const interrupted = new Promise<"interrupted">((resolve) => {
    stop = () => resolve("interrupted");
  });
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    const ended = await Promise.race([interrupted, tunnel.closed]);
    if (ended !== "interrupted") {
      throw new RvError("unreachable", `the connection under the forward ended: ${ended}`, {
        hint: "rv doctor checks the ssh connection; run rv forward again",
      });
    }
    return 0;
  } finally {
    process.removeListener("SIGINT", stop);
    process.removeListener("SIGTERM", stop);
    await tunnel.close();
  }
}
