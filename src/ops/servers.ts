import { deferred } from "../deferred.ts";
import { z } from "../zod.ts";

/**
 * `rv forward --auto`: which servers on a node are worth forwarding, decided from what the node printed (`ss -ltnp`
 * and `ps`), with no I/O here so captured listings test it.
 */

/** A listening TCP socket as `ss -ltnp` shows it; `pids` are the processes we may see (our own, or all as root). */
export interface ListeningSocket {
  address: string;
  port: number;
  pids: number[];
}

export interface NodeProcess {
  pid: number;
  pgid: number;
  uid: number;
  args: string;
}

export const ServerKindSchema = z.enum(["jupyter", "tensorboard", "ray-dashboard", "openai-api", "gradio"]);
export type ServerKind = z.infer<typeof ServerKindSchema>;

export const DetectedServerSchema = deferred(() =>
  z.object({
    port: z.int(),
    /** A common server recognised by its command line (or, in the task's process group, by its usual port). */
    kind: z.nullable(ServerKindSchema),
    pid: z.int(),
    command: z.string(),
    /** Whether the task's process group owns it (else: a recognised server of the same user on the node). */
    inTask: z.boolean(),
    /** Bound to loopback only: the login node cannot reach it on the node. */
    loopbackOnly: z.boolean(),
  }),
);
export type DetectedServer = z.infer<typeof DetectedServerSchema>;

/** What each kind looks like: its program on the command line, and the port it takes unless told otherwise. */
const knownServers: { kind: ServerKind; command: RegExp; port: number }[] = [
  { kind: "jupyter", command: /\bjupyter[- ](lab|notebook|server)\b|\bjupyter_server\b|\bjupyterlab\b/, port: 8888 },
  { kind: "tensorboard", command: /\btensorboard\b/, port: 6006 },
  { kind: "ray-dashboard", command: /\bdashboard[/.]dashboard\.py\b|\bray[/ ]dashboard\b/, port: 8265 },
  { kind: "openai-api", command: /\bvllm\b|\bopenai\.api_server\b|\bsglang\.launch_server\b/, port: 8000 },
  { kind: "gradio", command: /\bgradio\b/, port: 7860 },
];

/** Lines of `ss -ltnp` (with or without its header): `LISTEN 0 128 0.0.0.0:8888 0.0.0.0:* users:(("jupyter",pid=12,fd=5))`. */
export function parseListening(text: string): ListeningSocket[] {
  const sockets: ListeningSocket[] = [];
  for (const line of text.split("\n")) {
    const fields = line.trim().split(/\s+/);
    if (fields[0] !== "LISTEN" || fields.length < 5) continue;
    const local = fields[3] ?? "";
    const colon = local.lastIndexOf(":");
    const port = Number(local.slice(colon + 1));
    if (colon < 0 || !Number.isInteger(port)) continue;
    const address = local
      .slice(0, colon)
      .replace(/^\[|\]$/g, "")
      .replace(/%.*$/, "");
    const pids = [...line.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
    sockets.push({ address, port, pids });
  }
  return sockets;
}

/** Lines of `ps -eo pid=,pgid=,uid=,args=`. */
export function parseProcesses(text: string): NodeProcess[] {
  const processes: NodeProcess[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    if (m) processes.push({ pid: Number(m[1]), pgid: Number(m[2]), uid: Number(m[3]), args: m[4] ?? "" });
  }
  return processes;
}

export interface DetectionScope {
  /** The named running task's process group (the runner starts each task as a group leader); null for a lease. */
  taskPgid: number | null;
  /** Our uid on the node: another user's server is never ours to forward. */
  uid: number;
}

/**
 * The ports to forward: every port the task's process group listens on, and the usual port of each recognised
 * server (by command line) that runs as us. A process listening on several ports (a Ray dashboard's gRPC side, a
 * kernel's) offers only its server's usual port, or its lowest when it moved. One entry per port, by port.
 */
export function detectServers(
  sockets: readonly ListeningSocket[],
  processes: readonly NodeProcess[],
  scope: DetectionScope,
): DetectedServer[] {
  const byPid = new Map(processes.map((p) => [p.pid, p]));
  const ports = new Map<number, { owner: NodeProcess; addresses: string[] }>();
  for (const socket of sockets) {
    const owner = socket.pids.map((pid) => byPid.get(pid)).find((p) => p !== undefined);
    if (!owner || owner.uid !== scope.uid) continue;
    const seen = ports.get(socket.port) ?? { owner, addresses: [] };
    seen.addresses.push(socket.address);
    ports.set(socket.port, seen);
  }
  const found: DetectedServer[] = [];
  for (const [port, { owner, addresses }] of ports) {
    const inTask = scope.taskPgid !== null && owner.pgid === scope.taskPgid;
    const byCommand = knownServers.find((s) => s.command.test(owner.args));
    const ownPorts = [...ports].filter(([, p]) => p.owner.pid === owner.pid).map(([n]) => n);
    const mainPort = byCommand && ownPorts.includes(byCommand.port) ? byCommand.port : Math.min(...ownPorts);
    if (!inTask && !(byCommand && port === mainPort)) continue;
    const kind = byCommand?.kind ?? knownServers.find((s) => s.port === port)?.kind ?? null;
    const loopbackOnly = addresses.every(isLoopback);
    found.push({ port, kind, pid: owner.pid, command: owner.args, inTask, loopbackOnly });
  }
  return found.sort((a, b) => a.port - b.port);
}

function isLoopback(address: string): boolean {
  return address.startsWith("127.") || address === "::1" || address === "localhost";
}

/** For the person: `jupyter on 8888`, `port 5000`. */
export function describeServer(server: DetectedServer): string {
  return server.kind ? `${server.kind} on port ${server.port}` : `port ${server.port}`;
}
