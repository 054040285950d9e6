import { deferred } from "../deferred.ts";
import { RvError } from "../errors.ts";
import { clearControl, clearNotified, LeaseSchema, type LocalLease, leasePaths } from "../fsqueue/index.ts";
import { badLeaseError } from "../lease/bad-lease.ts";
import { startLocalRunner } from "../lease/local.ts";
import { ensureRoot, lookAtLease, newLocalLease, validateLeaseName, writeLease } from "../lease/store.ts";
import { LEASE_LIFE_KEYS } from "../notify/event.ts";
import { z } from "../zod.ts";
import { isLeaseLive } from "./observer.ts";
import { defineOp, type OpEnv } from "./op.ts";

export const UpLocalResultSchema = deferred(() =>
  z.object({
    outcome: z.enum(["already-running", "started", "resumed"]),
    lease: LeaseSchema,
    /** The runner's pid; null when it was running already. */
    pid: z.nullable(z.int()),
  }),
);
type UpLocalResult = z.infer<typeof UpLocalResultSchema>;

/**
 * `rv lease up --local`, and the first `rv submit` on a fresh machine: starts a lease on this machine, or resumes
 * one whose runner died or that was released. Idempotent.
 */
export const leaseUpLocalOp = defineOp({
  name: "lease-up-local",
  input: deferred(() =>
    z.object({
      name: z.string(),
      gpuIds: z._default(z.nullable(z.array(z.string())), null),
      cpus: z._default(z.nullable(z.int().check(z.positive())), null),
    }),
  ),
  result: UpLocalResultSchema,
  run: (env, input) => upLocal(env, input),
});

async function upLocal(
  env: OpEnv,
  request: { name: string; gpuIds: string[] | null; cpus: number | null },
): Promise<UpLocalResult> {
  const name = validateLeaseName(request.name);
  ensureRoot(env.root);
  const look = lookAtLease(env.root, name);
  // A newer rv's record is that rv's; a record put aside as bad is made anew, and its queue is served again.
  if (look.kind === "bad" && look.bad.state === "left") throw badLeaseError(look.bad);
  const remade = look.kind === "bad";
  if (remade) env.sink.note(`lease ${name}: its record was put aside as bad (${look.bad.file}): writing a new one`);
  const existing = look.kind === "ok" ? look.lease : undefined;
  if (existing?.kind === "slurm") {
    throw new RvError("usage", `lease ${name} is a Slurm lease; a local lease needs another name`, {
      hint: `rv lease up --local --name ${name}-local`,
    });
  }
  // A runner serves on without a record: a lease made anew keeps it rather than start a second one.
  const live = (existing?.state === "active" || remade) && isLeaseLive(env, { id: name });
  if (live && existing) return { outcome: "already-running", lease: existing, pid: null };
  const gpuIds = request.gpuIds ?? existing?.gpuIds;
  const cpus = request.cpus ?? existing?.cpus;
  const resources = { ...(gpuIds && { gpuIds }), ...(cpus && { cpus }) };
  const lease: LocalLease = existing
    ? { ...existing, ...resources, state: "active" }
    : newLocalLease(name, env.host, env.now(), resources);
  writeLease(env.root, lease);
  if (live) return { outcome: "already-running", lease, pid: null };
  const p = leasePaths(env.root, lease.id);
  clearControl(p, "lease", "drain");
  clearControl(p, "lease", "stop");
  // Started again after a release: a new life, whose start and end are news again (rv notify).
  if (existing?.state === "released") clearNotified(p, LEASE_LIFE_KEYS);
  const { pid } = await startLocalRunner(env.root, lease, env.env);
  return { outcome: existing ? "resumed" : "started", lease, pid };
}
