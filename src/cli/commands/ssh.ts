import { readFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { RvError } from "../../errors.ts";
import { requireCluster, sshDir } from "../../ops/index.ts";
import type { Context } from "../context.ts";
import { printJson } from "../output.ts";
import { runAttach } from "./attach.ts";

/**
 * `rv ssh`: a shell on the login node, through rv's own ssh config (and its ControlMaster). `--config` prints
 * the cluster's host block instead, for an editor's remote mode or ~/.ssh/config. `rv ssh TASK` opens the shell
 * on the task's node as `rv attach` does (`srun --overlap --pty` in the task's job): compute nodes commonly refuse
 * an ssh login from anyone without a job there (pam_slurm_adopt), and a step of the job is always let in.
 */
export async function runSsh(ctx: Context, ref: string | undefined, options: { config?: boolean }): Promise<number> {
  const cluster = requireCluster(ctx.config);
  if (ref !== undefined) {
    if (options.config) throw new RvError("usage", "rv ssh --config prints the login node's block: give no task");
    return runAttach(ctx, ref);
  }
  const file = join(sshDir(ctx.root), "config");
  if (options.config) {
    const block = hostBlock(readFileSync(file, "utf8"), cluster.host);
    if (ctx.json) printJson(ctx.io, { host: cluster.host, file, block });
    else ctx.io.out(block);
    return 0;
  }
  const done = await execa("ssh", ["-F", file, cluster.host], { stdio: "inherit", reject: false });
  return done.exitCode ?? 1;
}

/** The `Host ALIAS` block rv init wrote, without rv's markers. */
export function hostBlock(configText: string, alias: string): string {
  const lines = configText.split("\n");
  const start = lines.findIndex((l) => l.trim() === `Host ${alias}`);
  if (start < 0) return "";
  const end = lines.findIndex((l, i) => i > start && (/^\S/.test(l) || l.startsWith("# <<<")));
  return `${lines.slice(start, end < 0 ? undefined : end).join("\n")}\n`;
}
