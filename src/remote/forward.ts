import { createConnection, createServer, type Server } from "node:net";
import { execa, type ResultPromise } from "execa";
import { RvError } from "../errors.ts";
import { connectionArgs, type SshOptions } from "./ssh.ts";

/** A local port that reaches `host:port` as the login node sees it (a compute node's name there). */
export interface PortForward {
  localPort: number;
  host: string;
  port: number;
}

/** Open forwards; `closed` settles when the connection under them ends by itself (a dropped ssh). */
export interface Tunnel {
  closed: Promise<string>;
  close(): Promise<void>;
}

/**
 * Forwards over the cluster's ControlMaster (`ssh -O forward -L`), so no new login is made. A master with
 * ControlPersist exits when it has had no session for a while, forwards or not: a session reading its stdin (`cat`)
 * holds it for as long as the tunnel is open, and ends with it. Closing cancels each forward (`-O cancel`).
 */
export async function sshTunnel(options: SshOptions, forwards: readonly PortForward[]): Promise<Tunnel> {
  const base = [...(await connectionArgs(options))];
  const control = (request: "check" | "forward" | "cancel", spec: string[] = []) =>
    execa("ssh", [...base, "-O", request, ...spec, options.host], { reject: false, stdin: "ignore" });
  // Its own process group: Ctrl-C reaches rv, which cancels the forwards before it lets the session go.
  const hold = execa("ssh", [...base, options.host, "cat"], {
    reject: false,
    detached: true,
    stdout: "ignore",
    stderr: "pipe",
  });
  const closed = hold.then((done) => done.stderr.toString().trim() || `ssh exited ${done.exitCode}`);
  await waitForMaster(() => control("check"), hold);
  const opened: string[][] = [];
  const close = async () => {
    for (const spec of opened.splice(0)) await control("cancel", spec);
    hold.stdin?.end();
    await hold;
  };
  for (const forward of forwards) {
    const spec = ["-L", `127.0.0.1:${forward.localPort}:${forward.host}:${forward.port}`];
    const asked = await control("forward", spec);
    if (asked.exitCode !== 0) {
      await close();
      throw new RvError("unreachable", `could not forward port ${forward.localPort}: ${asked.stderr.trim()}`, {
        hint: "another program may have taken the local port: name another with PORT:LOCAL",
      });
    }
    opened.push(spec);
  }
  return { closed, close };
}

/** The holding session makes the master when there is none; `-O forward` needs it up. */
async function waitForMaster(check: () => Promise<{ exitCode?: number }>, hold: ResultPromise): Promise<void> {
  let ended = false;
  void hold.then(() => {
    ended = true;
  });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && !ended) {
    if ((await check()).exitCode === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const why = ended ? ((await hold).stderr?.toString().trim() ?? "") : "no ControlMaster after 30s";
  throw new RvError("unreachable", `could not hold a connection to the cluster for the forward: ${why}`, {
    hint: "rv doctor checks the ssh connection",
  });
}

/**
 * On the login node itself (a cluster configured as `local`) there is no ssh to ride: a relay in this process
 * carries each connection to the node.
 */
export async function relayTunnel(forwards: readonly PortForward[]): Promise<Tunnel> {
  const servers: Server[] = [];
  for (const forward of forwards) {
    const server = createServer((client) => {
      const upstream = createConnection({ host: forward.host, port: forward.port });
      client.pipe(upstream).pipe(client);
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on("error", end);
      upstream.on("error", end);
    });
    await listen(server, forward.localPort);
    servers.push(server);
  }
  return {
    closed: new Promise(() => {}),
    async close() {
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    },
  };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
}

/**
 * The local port for a forward: `wanted` when it is free; when it is taken and was only a default, the next free
 * one above it (at most 100 on). Probed by binding it for a moment, as ssh will.
 */
export async function freeLocalPort(
  wanted: number,
  exact: boolean,
  taken: ReadonlySet<number> = new Set(),
): Promise<number> {
  const last = exact ? wanted : Math.min(wanted + 100, 65535);
  for (let port = wanted; port <= last; port++) {
    if (!taken.has(port) && (await isFree(port))) return port;
  }
  throw new RvError("usage", exact ? `local port ${wanted} is taken` : `no free local port from ${wanted} to ${last}`, {
    hint: "name a free one: rv forward PORT:LOCAL",
  });
}

async function isFree(port: number): Promise<boolean> {
  const probe = createServer();
  try {
    await listen(probe, port);
    return true;
  } catch {
    return false;
  } finally {
    await new Promise((resolve) => probe.close(resolve));
  }
}
