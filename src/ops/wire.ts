import { deferred } from "../deferred.ts";
import { z } from "../zod.ts";

/**
 * The laptop and the rv deployed on the login node speak this over one ssh channel: the request as one JSON line
 * on stdin of `<root>/bin/rv-<version>-<build> rpc` (stdin then stays open: its end means the caller hung up),
 * and frames on stdout, one per line, each behind a marker so that whatever a login shell's rc files print is
 * never taken for one: output and notes while the op runs, then its result or its error. Both ends are the same
 * build by construction (the file name carries the build id), so the op's schemas are shared code.
 */
export const RPC_VERSION = 2;
export const FRAME_MARK = "@rv2 ";

export const RpcRequestSchema = deferred(() =>
  z.object({
    v: z.literal(RPC_VERSION),
    op: z.string(),
    /** rv's root on the cluster (the shared filesystem): leases, logs, the deployed binaries. */
    root: z.string().check(z.startsWith("/")),
    input: z.unknown(),
  }),
);
export type RpcRequest = z.infer<typeof RpcRequestSchema>;

export const RpcErrorSchema = deferred(() =>
  z.object({ code: z.string(), message: z.string(), hint: z.nullable(z.string()) }),
);
export type RpcError = z.infer<typeof RpcErrorSchema>;

export const FrameSchema = deferred(() =>
  z.union([
    /** The first frame, written as soon as `rv rpc` runs: from here on the call has reached the far side. */
    z.object({ hello: z.literal(RPC_VERSION) }),
    z.object({ out: z.string() }),
    z.object({ err: z.string() }),
    z.object({ note: z.string() }),
    z.object({ progress: z.unknown() }),
    z.object({ result: z.unknown() }),
    z.object({ error: RpcErrorSchema }),
  ]),
);
export type Frame = z.infer<typeof FrameSchema>;

export function encodeFrame(frame: Frame): string {
  return `${FRAME_MARK}${JSON.stringify(frame)}\n`;
}

/** What `rv rpc` writes first: a newline ends whatever a login shell's rc file printed without one. */
export function helloFrame(): string {
  return `\n${encodeFrame({ hello: RPC_VERSION })}`;
}

/**
 * Splits a stream of stdout chunks into frames; lines without the marker are not rv's and are dropped. A frame
 * that does not parse is reported as null, so the caller can say the far side answered in a form it does not know.
 */
export function frameReader(onFrame: (frame: Frame | null) => void): (chunk: string) => void {
  let pending = "";
  return (chunk) => {
    pending += chunk;
    for (let end = pending.indexOf("\n"); end >= 0; end = pending.indexOf("\n")) {
      const line = pending.slice(0, end);
      pending = pending.slice(end + 1);
      if (!line.startsWith(FRAME_MARK)) continue;
      let json: unknown;
      try {
        json = JSON.parse(line.slice(FRAME_MARK.length));
      } catch {
        onFrame(null);
        continue;
      }
      const frame = FrameSchema.safeParse(json);
      onFrame(frame.success ? frame.data : null);
    }
  };
}
