import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, test } from "vitest";
import { freeLocalPort, relayTunnel } from "../../src/remote/index.ts";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A server on a free port that answers every connection with `reply`. */
async function answering(reply: string): Promise<number> {
  const server = createServer((socket) => socket.end(reply));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

describe("freeLocalPort", () => {
  test("a taken default moves to the next free port; a taken port that was asked for is refused", async () => {
    const taken = await answering("busy");
    expect(await freeLocalPort(taken, false)).toBeGreaterThan(taken);
    await expect(freeLocalPort(taken, true)).rejects.toThrow(`local port ${taken} is taken`);
  });

  test("ports already chosen for other forwards are skipped", async () => {
    const free = await freeLocalPort(20_000, false);
    expect(await freeLocalPort(free, false, new Set([free]))).toBeGreaterThan(free);
  });
});

describe("relayTunnel (a cluster rv runs on as its login node)", () => {
  test("the local port reaches the node's port until the tunnel is closed", async () => {
    const port = await answering("hello from the node");
    const localPort = await freeLocalPort(port + 1, false);
    const tunnel = await relayTunnel([{ localPort, host: "127.0.0.1", port }]);
    const res = await fetchText(localPort);
    expect(res).toBe("hello from the node");
    await tunnel.close();
    await expect(fetchText(localPort)).rejects.toThrow();
  });
});

async function fetchText(port: number): Promise<string> {
  const { createConnection } = await import("node:net");
  return new Promise((resolve, reject) => {
    let text = "";
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.on("data", (chunk) => {
      text += chunk.toString();
    });
    socket.on("end", () => resolve(text));
    socket.on("error", reject);
  });
}
