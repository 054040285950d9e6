// (h) The least a `rv submit` can cost with rv's own stack, compiled as rv is (bench/startup.mjs builds it): commander
// parses the command line, smol-toml reads a config, zod checks the config, a lease record and the new task, and
// node:fs publishes the task as rv's queue does (staged in tmp/, fsynced, linked into inbox/, the directory fsynced).
// No lease logic, no warnings, no heartbeats: what is left of rv's time above this is rv's own work.
//   floor submit --dir DIR -- COMMAND...    DIR holds config.toml and lease.json (bench/startup.mjs writes them)
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { parse as parseToml } from "smol-toml";
import { z } from "../src/zod.ts";

z.config({ jitless: true });

const ConfigSchema = z.object({
  runner: z._default(z.object({ staleAfter: z._default(z.string(), "90s") }), { staleAfter: "90s" }),
  submit: z._default(
    z.object({ cpus: z._default(z.int().check(z.gte(1)), 1), gpus: z._default(z.int().check(z.gte(0)), 0) }),
    { cpus: 1, gpus: 0 },
  ),
});
const LeaseSchema = z.object({
  v: z.literal(1),
  id: z.string(),
  kind: z.enum(["local", "slurm"]),
  createdAt: z.iso.datetime(),
  host: z.string(),
  state: z.enum(["active", "released"]),
});
const TaskSchema = z.object({
  v: z.literal(1),
  id: z.string(),
  lease: z.string(),
  command: z.object({ kind: z.literal("argv"), argv: z.array(z.string()).check(z.minLength(1)) }),
  cwd: z.string(),
  env: z.record(z.string(), z.string()),
  gpus: z.int().check(z.gte(0)),
  cpus: z.int().check(z.gte(1)),
  tags: z.array(z.string()),
  submittedAt: z.iso.datetime(),
});

function submit(dir: string, argv: string[]): string {
  const config = ConfigSchema.parse(parseToml(readFileSync(join(dir, "config.toml"), "utf8")));
  const lease = LeaseSchema.parse(JSON.parse(readFileSync(join(dir, "lease.json"), "utf8")));
  const id = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  const task = TaskSchema.parse({
    v: 1,
    id,
    lease: lease.id,
    command: { kind: "argv", argv },
    cwd: process.cwd(),
    env: {},
    gpus: config.submit.gpus,
    cpus: config.submit.cpus,
    tags: [],
    submittedAt: new Date().toISOString(),
  });
  const staged = join(dir, "tmp", `${id}.json`);
  const inbox = join(dir, "inbox");
  mkdirSync(join(dir, "tmp"), { recursive: true });
  mkdirSync(inbox, { recursive: true });
  const fd = openSync(staged, "wx", 0o600);
  writeSync(fd, `${JSON.stringify(task)}\n`);
  fsyncSync(fd);
  closeSync(fd);
  linkSync(staged, join(inbox, `${id}.json`));
  unlinkSync(staged);
  const dirFd = openSync(inbox, "r");
  fsyncSync(dirFd);
  closeSync(dirFd);
  return id;
}

const program = new Command("floor").exitOverride();
program
  .command("submit")
  .requiredOption("--dir <dir>", "where config.toml and lease.json are")
  .argument("<argv...>", "the command")
  .action((argv: string[], options: { dir: string }) => {
    writeSync(1, `${submit(options.dir, argv)}\n`);
  });
program.parse(process.argv);
