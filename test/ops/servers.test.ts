import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { describeServer, detectServers, parseListening, parseProcesses } from "../../src/ops/servers.ts";

// A node's `ss -ltnp` and `ps -eo pid=,pgid=,uid=,args=`, as root sees them (every owner shown): user 1001's task
// (process group 4200) runs two http.servers and a Gradio demo; the same user runs Jupyter (with a kernel), TensorBoard
// and a Ray dashboard outside it; user 1002 runs vLLM; slurmd and a resolver belong to the system.
const fixture = (name: string) => readFileSync(join(import.meta.dirname, "fixtures", name), "utf8");
const sockets = parseListening(fixture("ss-ltnp-node.txt"));
const processes = parseProcesses(fixture("ps-node.txt"));

describe("parseListening", () => {
  test("reads address, port and owners; brackets, interfaces and the header go", () => {
    expect(sockets).toHaveLength(12);
    expect(sockets[2]).toEqual({ address: "::", port: 8888, pids: [4100] });
    expect(sockets.find((s) => s.port === 53)).toEqual({ address: "127.0.0.53", port: 53, pids: [] });
    expect(sockets.find((s) => s.port === 6006)?.address).toBe("*");
  });
});

describe("detectServers", () => {
  const ports = (found: ReturnType<typeof detectServers>) => found.map((s) => s.port);

  test("a task: every port of its process group, and the user's recognised servers, one entry per port", () => {
    const found = detectServers(sockets, processes, { taskPgid: 4200, uid: 1001 });
    expect(ports(found)).toEqual([6006, 7860, 8265, 8888, 18770, 18771]);
    expect(found.find((s) => s.port === 7860)).toMatchObject({ kind: "gradio", inTask: true });
    expect(found.find((s) => s.port === 18770)).toMatchObject({ kind: null, inTask: true, loopbackOnly: false });
    expect(found.find((s) => s.port === 8888)).toMatchObject({ kind: "jupyter", inTask: false, loopbackOnly: false });
  });

  test("a server bound to loopback only is reported as such: the login node cannot reach it", () => {
    const found = detectServers(sockets, processes, { taskPgid: 4200, uid: 1001 });
    expect(found.find((s) => s.port === 18771)).toMatchObject({ loopbackOnly: true });
  });

  test("a recognised server offers its usual port only: not a kernel's, not the Ray dashboard's gRPC side", () => {
    const found = detectServers(sockets, processes, { taskPgid: null, uid: 1001 });
    expect(ports(found)).toEqual([6006, 8265, 8888]);
    expect(found.map((s) => s.kind)).toEqual(["tensorboard", "ray-dashboard", "jupyter"]);
  });

  test("another user's server is never offered, however well it is recognised", () => {
    expect(ports(detectServers(sockets, processes, { taskPgid: null, uid: 1002 }))).toEqual([8000]);
    expect(detectServers(sockets, processes, { taskPgid: null, uid: 1002 })[0]?.kind).toBe("openai-api");
    expect(ports(detectServers(sockets, processes, { taskPgid: null, uid: 4242 }))).toEqual([]);
  });

  test("a socket whose owner we cannot see (a non-root ss shows only our own) is left out", () => {
    const hidden = parseListening("LISTEN 0 128 0.0.0.0:8888 0.0.0.0:*\n");
    expect(detectServers(hidden, processes, { taskPgid: 4200, uid: 1001 })).toEqual([]);
  });

  test("a port the task listens on that a common server takes is named after it", () => {
    const own = parseListening('LISTEN 0 5 0.0.0.0:6006 0.0.0.0:* users:(("python3",pid=4200,fd=3))\n');
    const [server] = detectServers(own, processes, { taskPgid: 4200, uid: 1001 });
    expect(server && describeServer(server)).toBe("tensorboard on port 6006");
  });
});
