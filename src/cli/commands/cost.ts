import { type Balance, parseBalance } from "../../allocator/balance.ts";
import { type Cost, costOf, hundredths } from "../../allocator/cost.ts";
import { loadConfiguredProfile, loadProfile } from "../../allocator/profile/load.ts";
import type { SiteProfile } from "../../allocator/profile/schema.ts";
import { DEFAULT_SEGMENT_SECONDS } from "../../allocator/strategies.ts";
import { RvError } from "../../errors.ts";
import { balanceOp, type Place } from "../../ops/index.ts";
import { plural } from "../../plural.ts";
import type { Context } from "../context.ts";
import { parseCount, parseWalltime } from "../flags.ts";
import { formatDuration, paint, printJson } from "../output.ts";

export interface CostOptions {
  gpu?: string;
  type: string;
  time?: string;
  account?: string;
  profile?: string;
}

/** The balance around a cost, or why it is not known. */
export type BalanceReport =
  | { known: true; account: string; availableSu: number; afterSu: number; enough: boolean }
  | { known: false; why: string };

export async function runCost(ctx: Context, options: CostOptions): Promise<number> {
  const { config } = ctx;
  const profile = requireProfile(
    options.profile === undefined ? loadConfiguredProfile(ctx.root, config) : loadProfile(options.profile),
  );
  const cost = costOf(profile, {
    gpus: parseCount("--gpu", options.gpu, 1) ?? 1,
    type: options.type,
    seconds: requestedSeconds(options.time, profile),
  });
  const balance =
    ctx.cluster && profile.balance
      ? balanceAround(cost, await readBalance(ctx.cluster, profile.balance, options.account ?? config.cluster?.account))
      : ({ known: false, why: whyUnknown(profile) } as const);
  if (ctx.json) printJson(ctx.io, { profile: profile.name, cost, balance });
  else ctx.io.out(`${describeCost(cost, profile)}\n${describeLimits(ctx, cost)}${describeBalance(ctx, balance)}\n`);
  return 0;
}

function requireProfile(profile: SiteProfile | null): SiteProfile {
  if (profile) return profile;
  throw new RvError("usage", "no site profile is configured, so rv does not know the SU rates", {
    hint: 'set profile = "rivanna" (or the path of a TOML file) in the [cluster] table of config.toml, or pass --profile (docs/allocator.md)',
  });
}

/** `--time`, else one segment, as a lease would hold before it renews. */
function requestedSeconds(time: string | undefined, profile: SiteProfile): number {
  return parseWalltime("--time", time) ?? profile.segmentSeconds ?? DEFAULT_SEGMENT_SECONDS;
}

/** The balance command runs on the login node; its table is read here, where the profile is. */
async function readBalance(
  place: Place,
  balance: NonNullable<SiteProfile["balance"]>,
  account: string | undefined,
): Promise<Balance> {
  const { stdout } = await place.call(balanceOp, { argv: balance.argv });
  return parseBalance(stdout, balance, account);
}

/** Called when there is no cluster or no balance command to ask. */
function whyUnknown(profile: SiteProfile): string {
  return profile.balance
    ? "no cluster is configured (rv init)"
    : `the site profile ${profile.name} has no balance command`;
}

/** The decision: what is left after the cost, and whether it is enough. */
export function balanceAround(cost: Cost, balance: Balance): BalanceReport {
  const afterSu = hundredths(balance.availableSu - cost.su);
  return { known: true, account: balance.account, availableSu: balance.availableSu, afterSu, enough: afterSu >= 0 };
}

function describeCost(cost: Cost, profile: SiteProfile): string {
  const gpus = `${plural(cost.gpus, `${cost.type} GPU`)} (${cost.partition})`;
  const rate = `${su(cost.suPerGpuHour)} SU per GPU-hour x ${su(cost.gpuHours)} GPU-hours, profile ${profile.name}`;
  return `${gpus} for ${formatDuration(cost.seconds * 1000)}: ${su(cost.su)} SUs (${rate})`;
}

function describeLimits(ctx: Context, cost: Cost): string {
  if (cost.limits.length === 0) return "";
  return `${paint(ctx.io, "yellow", `beyond the site's limits: ${cost.limits.join("; ")}`)}\n`;
}

function describeBalance(ctx: Context, report: BalanceReport): string {
  if (!report.known) return `balance: not known: ${report.why}`;
  const after = `${su(report.afterSu)} after`;
  const verdict = report.enough ? after : paint(ctx.io, "red", `${after}: not enough`);
  return `balance of ${report.account}: ${su(report.availableSu)} SUs available, ${verdict}`;
}

function su(value: number): string {
  return value.toLocaleString("en-US", { maximumFractionDigits: 2 });
}
