import type { Config } from "../config/index.ts";
import { leasesToShow, requireLease } from "../lease/index.ts";
import type { Context } from "./context.ts";
import { leaseFacts } from "./leases.ts";

/** The leases a reading command covers: the one named, else every active one. */
export function leasesInScope(ctx: Context, config: Config, named: string | undefined): string[] {
  if (named) requireLease(ctx.root, named);
  return leasesToShow(named, leaseFacts(ctx, config));
}
