import { configPath } from "../../config/index.ts";
import { RvError } from "../../errors.ts";
import { buildId, type Check, doctorOp, rvVersion } from "../../ops/index.ts";
import { type CommandResult, localRemote } from "../../remote/index.ts";
import type { Context } from "../context.ts";
import { paint, printJson } from "../output.ts";

/**
 * `rv doctor`: every check is a line, and every failed line says how to fix it. The local checks run here;
 * the cluster's run on the login node in one round trip (which also deploys this build there if needed).
 */
export async function runDoctor(ctx: Context): Promise<number> {
  const { config } = ctx;
  const overSsh = config.cluster !== undefined && config.cluster.host !== "local";
  const checks = [
    ...localChecks(ctx),
    ...(overSsh ? [await sshCheck()] : []),
    ...(config.cluster ? await clusterChecks(ctx) : []),
  ];
  if (ctx.json) printJson(ctx.io, { ok: checks.every((c) => c.ok), checks });
  else ctx.io.out(checks.map((c) => renderCheck(ctx, c)).join(""));
  return checks.every((c) => c.ok) ? 0 : 1;
}

function localChecks(ctx: Context): Check[] {
  const { config } = ctx;
  const checks: Check[] = [
    { name: "rv", ok: true, detail: `rv ${rvVersion} (build ${buildId}), home ${ctx.root}`, fix: null },
    {
      name: "config",
      ok: true,
      detail: config.cluster
        ? `${configPath(ctx.root)}: cluster ${config.cluster.name}`
        : "no cluster configured: rv runs tasks on this machine",
      fix: config.cluster ? null : "to use a Slurm cluster: rv init --host LOGIN_NODE --user USER",
    },
  ];
  return checks;
}

/** OpenSSH prints its version on stderr. */
async function sshCheck(): Promise<Check> {
  const [result] = (await localRemote().run([{ argv: ["ssh", "-V"] }])) as [CommandResult];
  if (result.exitCode === 0) return { name: "ssh", ok: true, detail: result.stderr.trim(), fix: null };
  return {
    name: "ssh",
    ok: false,
    detail: "no ssh client on this machine",
    fix: "install OpenSSH (apt install openssh-client)",
  };
}

async function clusterChecks(ctx: Context): Promise<Check[]> {
  const cluster = ctx.config.cluster;
  if (!cluster || !ctx.cluster) return [];
  const started = performance.now();
  try {
    const { checks } = await ctx.cluster.call(doctorOp, {});
    const ms = Math.round(performance.now() - started);
    return [{ name: "connection", ok: true, detail: `${cluster.host}: rv answered in ${ms} ms`, fix: null }, ...checks];
  } catch (error) {
    if (!(error instanceof RvError)) throw error;
    return [{ name: "connection", ok: false, detail: error.message, fix: error.hint ?? null }];
  }
}

function renderCheck(ctx: Context, check: Check): string {
  const mark = check.ok ? paint(ctx.io, "green", "ok  ") : paint(ctx.io, "red", "FAIL");
  const fix = check.fix && !check.ok ? `\n      fix: ${check.fix}` : "";
  return `${mark}  ${check.name.padEnd(10)} ${check.detail}${fix}\n`;
}
