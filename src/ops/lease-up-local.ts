import { z } from "zod";
import { RvError } from "../errors.ts";
import { clearControl, clearNotified, LeaseSchema, type LocalLease, leasePaths } from "../fsqueue/index.ts";
import {
  ensureRoot,
  newLocalLease,
  readLease,
  startLocalRunner,
  validateLeaseName,
  writeLease,
} from "../lease/index.ts";
import { LEASE_LIFE_KEYS } from "../notify/index.ts";
import { isLeaseLive } from "./observer.ts";
import { defineOp, type OpEnv } from "./op.ts";

export const UpLocalResultSchema = z.object({
  outcome: z.enum(["already-running", "started", "resumed"]),
  lease: LeaseSchema,
  /** The runner's pid; null when it was running already. */
  pid: z.number().int().nullable(),
});
type UpLocalResult = z.infer<typeof UpLocalResultSchema>;

/**
 * `rv lease up --local`, and the first `rv submit` on a fresh machine: starts a lease on this machine, or resumes
 * one whose runner died or that was released. Idempotent.
 */
export const leaseUpLocalOp = defineOp({
  name: "lease-up-local",
  input: z.object({
    name: z.string(),
    gpuIds: z.array(z.string()).nullable().default(null),
    cpus: z.number().int().positive().nullable().default(null),
  }),
  result: UpLocalResultSchema,
  run: (env, input) => upLocal(env, input),
});

async function upLocal(
  env: OpEnv,
  request: { name: string; gpuIds: string[] | null; cpus: number | null },
): Promise<UpLocalResult> {
  const name = validateLeaseName(request.name);
  ensureRoot(env.root);
  const existing = readLease(env.root, name);
  if (existing?.kind === "slurm") {
    throw new RvError("usage", `lease ${name} is a Slurm lease; a local lease needs another name`, {
      hint: `rv lease up --local --name ${name}-local`,
    });
  }
  if (existing?.state === "active" && isLeaseLive(env, existing)) {
    return { outcome: "already-running", lease: existing, pid: null };
  }
  const gpuIds = request.gpuIds ?? existing?.gpuIds;
  const cpus = request.cpus ?? existing?.cpus;
  const resources = { ...(gpuIds && { gpuIds }), ...(cpus && { cpus }) };
  const lease: LocalLease = existing
    ? { ...existing, ...resources, state: "active" }
    : newLocalLease(name, env.host, env.now(), resources);
  writeLease(env.root, lease);
  const p = leasePaths(env.root, lease.id);
  clearControl(p, "lease", "drain");
  clearControl(p, "lease", "stop");
  // Started again after a release: a new life, whose start and end are news again (rv notify).
  if (existing?.state === "released") clearNotified(p, LEASE_LIFE_KEYS);
  const { pid } = await startLocalRunner(env.root, lease, env.env);
  return { outcome: existing ? "resumed" : "started", lease, pid };
}
