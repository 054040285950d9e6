import { readFileSync } from "node:fs";
import { loadConfig } from "../../config/index.ts";
import { RvError } from "../../errors.ts";
import { ops } from "../cluster/ops/index.ts";
import { RpcRequestSchema } from "../cluster/protocol.ts";
import { clusterSide } from "../cluster/side.ts";
import type { Context } from "../context.ts";
import { printJson } from "../output.ts";

/**
 * `rv rpc` (hidden): the login-node end of the laptop's calls. Reads one request from stdin, runs the op
 * against the cluster root it names, and prints `{v, result}`; errors print as every command's JSON error.
 */
export async function runRpc(ctx: Context): Promise<number> {
  const parsed = RpcRequestSchema.safeParse(readRequest());
  if (!parsed.success) {
    throw new RvError("usage", `rv rpc: bad request: ${parsed.error.issues[0]?.message}`, {
      hint: "rv rpc is spoken by the rv CLI over ssh; the laptop and cluster builds may differ (rv doctor)",
    });
  }
  const { op, root, args } = parsed.data;
  const handler = ops[op];
  const opArgs = handler.args.safeParse(args);
  if (!opArgs.success) throw new RvError("usage", `rv rpc ${op}: ${opArgs.error.issues[0]?.message}`);
  const config = loadConfig(root, ctx.env);
  // A streaming op only follows a task: when the laptop hangs up, it may stop (the task goes on). Any other op
  // changes state: finish it (a submitted job must get its record) rather than die between two steps.
  if ("stream" in handler) return handler.stream(clusterSide(root, config, ctx.env, ctx.io), opArgs.data as never);
  process.on("SIGHUP", () => {});
  printJson(ctx.io, { result: await handler.run(clusterSide(root, config, ctx.env), opArgs.data as never) });
  return 0;
}

function readRequest(): unknown {
  const text = readFileSync(0, "utf8");
  try {
    return JSON.parse(text);
  } catch {
    throw new RvError("usage", "rv rpc: the request on stdin is not JSON");
  }
}
