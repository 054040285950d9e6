import { leaseReleaseOp, type Place, type TaskSpec } from "../../ops/index.ts";
import type { Context } from "../context.ts";
import { confirm, type SlurmLeaseUpOptions, upForOneTask } from "./lease/up-slurm.ts";
import { stayWith } from "./stay-with.ts";

/**
 * `rv run --gpu N -- CMD`: a short lease just for this task. The allocator wins the GPUs, the task's output
 * streams, and the lease goes back when the task ends; its exit status is the task's.
 */
export async function runInOwnLease(
  ctx: Context,
  leaseOptions: SlurmLeaseUpOptions,
  submit: { specs: TaskSpec[]; secrets: Record<string, string> },
): Promise<number> {
  const { lease, exit } = await upForOneTask(ctx, leaseOptions);
  if (exit !== 0) return exit;
  return followThenRelease(ctx, ctx.cluster ?? ctx.local, lease, submit);
}

/**
 * The task in the lease, followed; then the lease released. A Ctrl-C asks first on a terminal (the task stops with
 * its lease); elsewhere the lease is released. One kept goes back by itself two minutes after its task ends.
 */
export async function followThenRelease(
  ctx: Context,
  place: Place,
  lease: string,
  submit: { specs: TaskSpec[]; secrets: Record<string, string> },
): Promise<number> {
  let status: number;
  try {
    status = await stayWith(ctx, place, { lease, ...submit, follow: true });
  } catch (error) {
    await release(ctx, place, lease, true);
    throw error;
  }
  const stopped = status === 130;
  if (stopped && ctx.io.isTTY && process.stdin.isTTY) {
    if (!(await confirm(`release lease ${lease}? its task stops with it [Y/n] `, true))) {
      ctx.io.err(
        `rv: lease ${lease} stays with its task; it goes back 2 minutes after the task ends, or: rv lease release ${lease}\n`,
      );
      return status;
    }
  }
  await release(ctx, place, lease, stopped);
  return status;
}

async function release(ctx: Context, place: Place, lease: string, now: boolean): Promise<void> {
  await place.call(leaseReleaseOp, { leases: [lease], now, wait: true });
  ctx.io.err(`rv: lease ${lease} released\n`);
}

/** `rv up --run CMD`: the lease, CMD in it with all its GPUs (its output as it comes), then the lease released. */
export async function runUpAndRun(ctx: Context, options: SlurmLeaseUpOptions, shell: string): Promise<number> {
  const { secretsForPlace } = await import("./task-secrets.ts");
  const gpus = Number(options.gpu ?? "1");
  const place = ctx.cluster ?? ctx.local;
  return runInOwnLease(ctx, options, {
    specs: [{ shell, gpus, cpus: 1, env: {}, tags: [], strictOrder: false }],
    secrets: await secretsForPlace(ctx, place),
  });
}
