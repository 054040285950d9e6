import { RvError } from "../errors.ts";

type Fetch = (request: Request) => Response | Promise<Response>;

export interface Listening {
  port: number;
  /** Stops listening and drops every open connection (event streams included). */
  close(): Promise<void>;
}

/** What rv uses of Bun's server (the standalone binary is Bun; rv has no Bun types). */
interface BunRuntime {
  serve(options: { fetch: Fetch; hostname: string; port: number; idleTimeout: number }): {
    port: number;
    stop(closeActive: boolean): Promise<void> | void;
  };
}

/**
 * Serves `fetch` on host:port (port 0: any free one): with Bun's own server in the binary, with
 * @hono/node-server under Node (`npx rv`, dist/rv.mjs). A port in use is the person's to change.
 */
export async function listen(fetch: Fetch, host: string, port: number): Promise<Listening> {
  const bun = (globalThis as { Bun?: BunRuntime }).Bun;
  try {
    if (bun) {
      // idleTimeout 0: an event stream is quiet between refreshes, and a cluster's refresh may take long.
      const server = bun.serve({ fetch, hostname: host, port, idleTimeout: 0 });
      return { port: server.port, close: async () => void (await server.stop(true)) };
    }
    return await listenOnNode(fetch, host, port);
  } catch (error) {
    throw listenError(error, host, port) ?? error;
  }
}

async function listenOnNode(fetch: Fetch, host: string, port: number): Promise<Listening> {
  const { serve } = await import("@hono/node-server");
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname: host, port }, (info) => {
      server.off("error", reject);
      resolve({
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            if ("closeAllConnections" in server) server.closeAllConnections();
          }),
      });
    });
    server.once("error", reject);
  });
}

/** Why host:port cannot be listened on, said as the person's to change; null for anything else (a bug). */
export function listenError(error: unknown, host: string, port: number): RvError | null {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === "EADDRINUSE") {
    return new RvError("usage", `port ${port} on ${host} is in use`, {
      hint: "pick another with --port, or leave --port out for any free one",
    });
  }
  if (code === "EADDRNOTAVAIL") {
    return new RvError("usage", `${host} is not an address of this machine`, {
      hint: "--host 127.0.0.1 (the default) serves this machine only",
    });
  }
  if (code === "EACCES") {
    return new RvError("usage", `port ${port} on ${host} is not yours to listen on (below 1024 needs root)`, {
      hint: "pick a port from 1024 up with --port, or leave --port out for any free one",
    });
  }
  // A name that does not resolve (getaddrinfo), or one Bun cannot listen on (EINVAL).
  if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "EINVAL") {
    return new RvError("usage", `--host ${host} is not a name or address rv ui can listen on`, {
      hint: "--host 127.0.0.1 (the default) serves this machine only; 0.0.0.0 every interface",
    });
  }
  return null;
}
