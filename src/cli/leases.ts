import type { Config } from "../config/index.ts";
import { type Lease, leasePaths } from "../fsqueue/index.ts";
import { type LeaseFacts, listLeases, readRunnerViews } from "../lease/index.ts";
import { pidAlive } from "../runner/index.ts";
import type { Context } from "./context.ts";

export function observerFor(ctx: Context, config: Config) {
  return {
    host: ctx.host,
    nowMs: ctx.now().getTime(),
    staleAfterMs: config.runner.staleAfterMs,
    pidAlive,
  };
}

export function isLeaseLive(ctx: Context, config: Config, lease: Lease): boolean {
  return readRunnerViews(leasePaths(ctx.root, lease.id), observerFor(ctx, config)).some(
    (runner) => runner.health === "ok" || runner.health === "draining",
  );
}

export function leaseFacts(ctx: Context, config: Config): LeaseFacts[] {
  return listLeases(ctx.root).map((lease) => ({
    id: lease.id,
    state: lease.state,
    createdAt: lease.createdAt,
    live: isLeaseLive(ctx, config, lease),
  }));
}
