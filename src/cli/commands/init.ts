import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { createInterface, type Interface } from "node:readline/promises";
import { loadProfile } from "../../allocator/profile/load.ts";
import type { ClusterConfig } from "../../config/index.ts";
import { saveClusterConfig } from "../../config/write.ts";
import { RvError } from "../../errors.ts";
import { clusterPlace, clusterRemote, deployRv, resourcesOp, sshDir } from "../../ops/index.ts";
import { type CommandResult, localRemote, type Remote, type SshHost, writeSshHostBlock } from "../../remote/index.ts";
import type { Context } from "../context.ts";
import { parseCount } from "../flags.ts";
import { printJson } from "../output.ts";

export interface InitOptions {
  host?: string;
  port?: string;
  user?: string;
  identityFile?: string;
  account?: string;
  root?: string;
  name?: string;
  profile?: string;
  yes?: boolean;
}

/**
 * `rv init`: from "I have an ssh login" to "rv works on this cluster": an ssh host block of rv's own
 * (ControlMaster), a tested connection, the cluster root, this build deployed there, and the partitions and
 * GPU types Slurm reports. Every answer can come from a flag; a terminal is asked for what is missing.
 */
export async function runInit(ctx: Context, options: InitOptions): Promise<number> {
  const answers = await completeAnswers(ctx, options);
  const name = options.name ?? nameFromHost(answers.host);
  const profile = siteProfile(options.profile, ctx.config.clusters[name]?.profile);
  const host = answers.host === "local" ? "local" : `rv-${name}`;
  if (host !== "local") await writeHostBlock(ctx, host, answers, options);
  const remote = clusterRemote(ctx.root, host);
  const root = options.root ?? (await defaultRoot(remote, answers.user));
  const account = answers.account ? { account: answers.account } : {};
  const cluster: ClusterConfig = { name, host, user: answers.user, root, ...account, ...(profile && { profile }) };
  const before = ctx.config.defaults.cluster;
  const file = saveClusterConfig(ctx.root, cluster);
  const also = before && before !== name ? `; in use from now on (rv cluster use ${before} goes back)` : "";
  note(ctx, `wrote ${file} (cluster ${name}, root ${cluster.root}${also})`);
  const deployed = await deployRv(remote, cluster, ctx.env);
  note(ctx, `deployed rv to ${remote.where}:${deployed}`);
  const { pools } = await clusterPlace(ctx.root, cluster, ctx.env).call(resourcesOp, { partitions: [] });
  const partitions = [...new Set(pools.map((p) => p.partition))].map((partition) => ({
    partition,
    gpuTypes: pools.filter((p) => p.partition === partition).map((p) => ({ type: p.type, total: p.total })),
  }));
  if (ctx.json) {
    printJson(ctx.io, { cluster, config: file, sshConfig: join(sshDir(ctx.root), "config"), deployed, partitions });
  } else {
    ctx.io.out(`cluster ${name} is ready: ${partitions.length} GPU partitions\n`);
    for (const p of partitions) {
      ctx.io.out(`  ${p.partition}: ${p.gpuTypes.map((t) => `${t.total} x ${t.type}`).join(", ")}\n`);
    }
    ctx.io.out("next: rv doctor, rv resources, rv status\n");
  }
  return 0;
}

interface Answers {
  host: string;
  user: string;
  account?: string;
}

async function completeAnswers(ctx: Context, options: InitOptions): Promise<Answers> {
  const interactive = !options.yes && ctx.io.isTTY && Boolean(process.stdin.isTTY);
  if (!interactive) {
    if (!options.host || !options.user) {
      throw new RvError("usage", "rv init needs --host and --user when it cannot ask (no terminal, or --yes)", {
        hint: "for example: rv init --host login.cluster.edu --user me --account mylab --yes",
      });
    }
    return { host: options.host, user: options.user, ...(options.account && { account: options.account }) };
  }
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await askAnswers(prompt, options);
  } catch (error) {
    if ((error as Error).name !== "AbortError") throw error;
    throw new RvError("usage", "rv init was cancelled; nothing was written", {
      hint: "run it again, or give every answer as a flag with --yes",
    });
  } finally {
    prompt.close();
  }
}

async function askAnswers(prompt: Interface, options: InitOptions): Promise<Answers> {
  const ask = async (question: string, given: string | undefined, fallback = "") =>
    given ?? ((await prompt.question(`${question}${fallback ? ` [${fallback}]` : ""}: `)).trim() || fallback);
  const host = await ask("login node (ssh host or alias; 'local' on the login node itself)", options.host);
  const user = await ask("user on the cluster", options.user, process.env.USER ?? "");
  const account = await ask("Slurm account (empty: your default)", options.account);
  if (!host || !user) throw new RvError("usage", "rv init needs a host and a user");
  return { host, user, ...(account && { account }) };
}

/**
 * The site profile: the one given, else the one set for this cluster before (rv init run again must not lose
 * it). Read now, so that a name rv does not know is refused before anything is written.
 */
function siteProfile(given: string | undefined, previous: string | undefined): string | undefined {
  const profile = given ?? previous;
  if (profile !== undefined) loadProfile(profile);
  return profile;
}

/** `rivanna.hpc.virginia.edu` -> `rivanna`; an IP address -> `cluster`. */
export function nameFromHost(host: string): string {
  const first =
    host
      .split(".")[0]
      ?.toLowerCase()
      .replace(/[^a-z0-9_-]/g, "-") ?? "";
  return /^[a-z][a-z0-9_-]*$/.test(first) ? first.slice(0, 32) : "cluster";
}

/** Reads what ssh itself would use for the host (`ssh -G`, honouring ~/.ssh/config), then writes rv's block. */
async function writeHostBlock(ctx: Context, alias: string, answers: Answers, options: InitOptions): Promise<void> {
  const port = parseCount("--port", options.port, 1);
  const argv = ["ssh", "-G", ...(port ? ["-p", String(port)] : []), "-l", answers.user, answers.host];
  const [result] = (await localRemote().run([{ argv }])) as [CommandResult];
  if (result.exitCode !== 0) {
    throw new RvError("usage", `ssh does not accept the host ${answers.host}: ${result.stderr.trim()}`, {
      hint: "check the host name; rv init --host takes a name, an address, or an alias from ~/.ssh/config",
    });
  }
  const settings = parseSshG(result.stdout);
  const identities = options.identityFile
    ? [options.identityFile]
    : (settings.identityfile ?? []).map(expandHome).filter((file) => existsSync(file));
  const host: SshHost = {
    alias,
    hostName: settings.hostname?.[0] ?? answers.host,
    port: Number(settings.port?.[0] ?? port ?? 22),
    user: answers.user,
    identityFiles: identities,
    proxyJump: settings.proxyjump?.[0] && settings.proxyjump[0] !== "none" ? settings.proxyjump[0] : null,
    controlDir: sshDir(ctx.root),
    knownHosts: join(sshDir(ctx.root), "known_hosts"),
  };
  writeSshHostBlock(join(sshDir(ctx.root), "config"), host);
}

function parseSshG(text: string): Record<string, string[]> {
  const settings: Record<string, string[]> = {};
  for (const line of text.split("\n")) {
    const [key, ...rest] = line.trim().split(" ");
    if (key) settings[key] = [...(settings[key] ?? []), rest.join(" ")];
  }
  return settings;
}

function expandHome(path: string): string {
  return path.startsWith("~/") ? join(homedir(), path.slice(2)) : path;
}

/** The first round trip: `/scratch/USER/.rv` where the site has a scratch filesystem, else `~/.rv` there. */
async function defaultRoot(remote: Remote, user: string): Promise<string> {
  const [home, scratch] = await remote.run([
    { argv: ["printenv", "HOME"] },
    { argv: ["test", "-d", `/scratch/${user}`] },
  ]);
  if (scratch?.exitCode === 0) return `/scratch/${user}/.rv`;
  const dir = home?.stdout.trim();
  if (!dir?.startsWith("/"))
    throw new RvError("cluster", `cannot tell the home directory on ${remote.where}`, {
      hint: "give the root: rv init --root DIR",
    });
  return `${dir}/.rv`;
}

function note(ctx: Context, text: string): void {
  if (!ctx.json) ctx.io.err(`rv: ${text}\n`);
}
