import { accessSync, constants, mkdirSync, rmSync, statfsSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deferred } from "../deferred.ts";
import { RvError } from "../errors.ts";
import type { CommandResult } from "../remote/index.ts";
import {
  type Records,
  runQueries,
  type ScontrolPartition,
  type SinfoRow,
  type SlurmQuery,
  scontrolPartitions,
  sinfoRows,
  slurmCommand,
} from "../slurm/index.ts";
import { z } from "../zod.ts";
import { buildId, rvVersion } from "./build-info.ts";
import { defineOp, type OpEnv } from "./op.ts";
import { leasesInScope, readSummary } from "./summary.ts";

/** One line of `rv doctor`: what was checked, what was found, and how to fix it when it failed. */
export const CheckSchema = deferred(() =>
  z.object({
    name: z.string(),
    ok: z.boolean(),
    detail: z.string(),
    fix: z.nullable(z.string()),
  }),
);
export type Check = z.infer<typeof CheckSchema>;

const LOW_SPACE_BYTES = 5 * 1024 ** 3;

/** `rv doctor`: the checks that must run on the login node itself. */
export const doctorOp = defineOp({
  name: "doctor",
  input: deferred(() => z.object({})),
  result: deferred(() => z.object({ checks: z.array(CheckSchema) })),
  async run(env) {
    const slurm = await readSlurm(env);
    const checks = [...slurmChecks(slurm), rootCheck(env.root), spaceCheck(env.root), rvCheck(), leaseCheck(env)];
    return { checks };
  },
});

type SlurmFacts = { version: string; nodes: Records<SinfoRow>; partitions: Records<ScontrolPartition> } | RvError;

async function readSlurm(env: OpEnv): Promise<SlurmFacts> {
  const versionQuery: SlurmQuery<CommandResult> = { command: slurmCommand(["sinfo", "--version"]), read: (r) => r };
  try {
    const [version, nodes, partitions] = await runQueries(env.remote, [
      versionQuery,
      sinfoRows(),
      scontrolPartitions(),
    ] as const);
    return { version: version.stdout.trim(), nodes, partitions };
  } catch (error) {
    if (error instanceof RvError) return error;
    throw error;
  }
}

function slurmChecks(slurm: SlurmFacts): Check[] {
  if (slurm instanceof RvError) {
    return [{ name: "slurm", ok: false, detail: slurm.message, fix: slurm.hint ?? null }];
  }
  const partitions = slurm.partitions.records.map((p) => p.name);
  const gpuTypes = [
    ...new Set(
      slurm.nodes.records.flatMap((r) =>
        r.gres.flatMap((g) => (g.kind === "gres" && g.name === "gpu" ? [g.type ?? "gpu"] : [])),
      ),
    ),
  ].sort();
  return [
    { name: "slurm", ok: true, detail: `${slurm.version} answers`, fix: null },
    {
      name: "partitions",
      ok: partitions.length > 0,
      detail: partitions.length
        ? `${partitions.length}: ${partitions.join(", ")}; GPU types: ${gpuTypes.join(", ") || "none"}`
        : "Slurm lists no partition you can see",
      fix: partitions.length ? null : "ask the cluster's admins which partitions your account may use",
    },
  ];
}

function rootCheck(root: string): Check {
  const probe = join(root, `.rv-doctor-${process.pid}`);
  try {
    mkdirSync(root, { recursive: true, mode: 0o700 });
    writeFileSync(probe, "ok\n", { mode: 0o600 });
    rmSync(probe);
    accessSync(root, constants.W_OK);
  } catch (error) {
    return {
      name: "root",
      ok: false,
      detail: `${root} is not writable: ${(error as Error).message}`,
      fix: "choose another root: rv init --root DIR",
    };
  }
  const open = statSync(root).mode & 0o077;
  return open
    ? {
        name: "root",
        ok: false,
        detail: `${root} is readable by others (mode ${(statSync(root).mode & 0o777).toString(8)})`,
        fix: `chmod 700 ${root}`,
      }
    : { name: "root", ok: true, detail: `${root} is writable and private`, fix: null };
}

function spaceCheck(root: string): Check {
  const fs = statfsSync(root);
  const free = fs.bavail * fs.bsize;
  const detail = `${(free / 1024 ** 3).toFixed(1)} GiB free under ${root}`;
  return free < LOW_SPACE_BYTES
    ? { name: "space", ok: false, detail, fix: "free some space, or move the root: rv init --root DIR" }
    : { name: "space", ok: true, detail, fix: null };
}

function rvCheck(): Check {
  return {
    name: "deployed",
    ok: true,
    detail: `rv ${rvVersion} (build ${buildId}) runs at ${process.execPath}`,
    fix: null,
  };
}

function leaseCheck(env: OpEnv): Check {
  const stale = leasesInScope(env, null).flatMap((lease) => {
    const summary = readSummary(env, lease);
    return summary.runners.some((r) => r.health === "stale") ? [lease] : [];
  });
  return stale.length
    ? {
        name: "leases",
        ok: false,
        detail: `stale runners in: ${stale.join(", ")}`,
        fix: "rv status shows them; rv requeue brings their tasks back",
      }
    : { name: "leases", ok: true, detail: "no stale runner", fix: null };
}
