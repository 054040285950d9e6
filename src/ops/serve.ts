import { homedir } from "node:os";
import { loadConfig } from "../config/index.ts";
import { asRvError, RvError } from "../errors.ts";
import { ops } from "./index.ts";
import type { Sink } from "./op.ts";
import { opEnv } from "./places.ts";
import { encodeFrame, type Frame, helloFrame, RPC_VERSION, RpcRequestSchema } from "./wire.ts";

/**
 * `rv rpc` (hidden): the login-node end of a laptop's call. Reads the request (one JSON line on stdin), runs the
 * op against the cluster root it names, and writes frames to stdout: output while it runs, then its result or its
 * error. The end of stdin means the caller hung up: a following op stops; an op that changes state finishes (a
 * submitted job must get its record), and so does a hang-up signal not stop it.
 */
export async function serveRpc(env: NodeJS.ProcessEnv): Promise<void> {
  process.on("SIGHUP", () => {});
  const write = frameWriter();
  process.stdout.write(helloFrame());
  const hungUp = new AbortController();
  try {
    const request = await readRequest(() => hungUp.abort());
    const op = Object.hasOwn(ops, request.op) ? ops[request.op] : undefined;
    if (!op) {
      throw new RvError("usage", `rv rpc: no op named ${JSON.stringify(request.op)}`, {
        hint: "the laptop and cluster builds differ: rv doctor",
      });
    }
    const input = op.input.safeParse(request.input);
    if (!input.success) throw new RvError("usage", `rv rpc ${op.name}: ${input.error.issues[0]?.message}`);
    const sink: Sink = {
      out: (out) => write({ out }),
      err: (err) => write({ err }),
      note: (note) => write({ note }),
      progress: (progress) => write({ progress }),
    };
    const config = loadConfig(request.root, env);
    const cwd = homedir();
    const result = await op.run(opEnv(request.root, config, env, cwd, { sink, signal: hungUp.signal }), input.data);
    write({ result });
  } catch (error) {
    write({ error: errorOf(error) });
  } finally {
    process.stdin.destroy();
  }
}

function errorOf(error: unknown): { code: string; message: string; hint: string | null } {
  return asRvError(error, "this is a bug in rv; RV_DEBUG=1 on the cluster side shows more").toRecord();
}

/** A caller that hung up no longer reads: its frames are dropped rather than failing the op with EPIPE. */
function frameWriter(): (frame: Frame) => void {
  let closed = false;
  process.stdout.on("error", () => {
    closed = true;
  });
  return (frame) => {
    if (!closed) process.stdout.write(encodeFrame(frame));
  };
}

/** The first line of stdin; `onHangUp` runs when stdin ends after it. */
function readRequest(onHangUp: () => void): Promise<ReturnType<typeof RpcRequestSchema.parse>> {
  return new Promise((resolve, reject) => {
    let text = "";
    let done = false;
    const finish = (line: string) => {
      done = true;
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        reject(new RvError("usage", "rv rpc: the request on stdin is not JSON"));
        return;
      }
      const parsed = RpcRequestSchema.safeParse(json);
      if (parsed.success) resolve(parsed.data);
      else {
        const version = (json as { v?: unknown })?.v;
        const why = version !== RPC_VERSION ? `version ${String(version)}, this rv speaks ${RPC_VERSION}` : "";
        reject(
          new RvError("usage", `rv rpc: bad request${why ? ` (${why})` : `: ${parsed.error.issues[0]?.message}`}`, {
            hint: "rv rpc is spoken by the rv CLI over ssh; the laptop and cluster builds may differ (rv doctor)",
          }),
        );
      }
    };
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", (chunk: string) => {
      if (done) return;
      text += chunk;
      const end = text.indexOf("\n");
      if (end >= 0) finish(text.slice(0, end));
    });
    process.stdin.on("end", () => {
      if (!done) finish(text);
      onHangUp();
    });
    process.stdin.on("error", (error) => {
      if (!done) reject(new RvError("io", `rv rpc: could not read the request: ${error.message}`));
      onHangUp();
    });
  });
}
