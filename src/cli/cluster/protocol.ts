import { z } from "zod";

/**
 * The laptop CLI and the rv deployed on the login node speak this over ssh: one request on stdin of
 * `<root>/bin/rv-<version>-<build> rpc`, one response on its stdout. Both ends are the same build by
 * construction (the file name carries the build id), so the ops' arguments and results are shared code.
 */
export const RPC_VERSION = 1;

export const OpNameSchema = z.enum([
  "status",
  "resources",
  "doctor",
  "submit",
  "lease-up",
  "lease-view",
  "lease-release",
  "lease-extend",
  "lease-resume",
  "lease-list",
  "attach",
  "balance",
  "tui",
  "task-act",
  /** Submits and follows: output streams back as the task writes it, and the exit status is the task's. */
  "run",
]);
export type OpName = z.infer<typeof OpNameSchema>;

export const RpcRequestSchema = z.object({
  v: z.literal(RPC_VERSION),
  op: OpNameSchema,
  /** rv's root on the cluster (the shared filesystem): leases, logs, the deployed binaries. */
  root: z.string().startsWith("/"),
  args: z.unknown(),
});
export type RpcRequest = z.infer<typeof RpcRequestSchema>;

export const RpcErrorSchema = z.object({ code: z.string(), message: z.string(), hint: z.string().nullable() });

/** `{v, result}`, or the CLI's own JSON error shape `{v, error}` (the rpc command fails like any other). */
export const RpcResponseSchema = z.union([
  z.object({ v: z.literal(RPC_VERSION), result: z.unknown() }),
  z.object({ v: z.literal(RPC_VERSION), error: RpcErrorSchema }),
]);
export type RpcResponse = z.infer<typeof RpcResponseSchema>;
