import { resolve } from "node:path";
import { z } from "zod";
import type { Config } from "../config/index.ts";
import { inheritedEnv } from "../config/index.ts";
import { RvError } from "../errors.ts";
import { PROTOCOL_VERSION, type Task } from "../fsqueue/index.ts";

/** What one task asks for: the flags of `rv submit`, and the fields of one line of `--from FILE.jsonl`. */
export const TaskSpecSchema = z
  .object({
    argv: z.array(z.string()).min(1).optional(),
    shell: z.string().min(1).optional(),
    gpus: z.number().int().min(0).default(0),
    cpus: z.number().int().min(1).default(1),
    name: z.string().min(1).optional(),
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "not a variable name"), z.string()).default({}),
    cwd: z.string().min(1).optional(),
    tags: z.array(z.string()).default([]),
    note: z.string().optional(),
    strictOrder: z.boolean().default(false),
    maxCrashes: z.number().int().min(1).optional(),
  })
  .strict()
  .refine((spec) => (spec.argv === undefined) !== (spec.shell === undefined), {
    message: "give exactly one of `argv` (an array) or `shell` (a string)",
  });
export type TaskSpec = z.infer<typeof TaskSpecSchema>;

/** `--env K=V` sets a value; `--env K` copies K from the submitter's environment. */
export function parseEnvFlags(flags: string[], env: NodeJS.ProcessEnv): Record<string, string> {
  const parsed: Record<string, string> = {};
  for (const flag of flags) {
    const eq = flag.indexOf("=");
    const key = eq === -1 ? flag : flag.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw new RvError("usage", `--env ${JSON.stringify(flag)}: ${JSON.stringify(key)} is not a variable name`, {
        hint: "write --env NAME=VALUE, or --env NAME to pass NAME from your environment",
      });
    }
    const value = eq === -1 ? env[key] : flag.slice(eq + 1);
    if (value === undefined) {
      throw new RvError("usage", `--env ${key}: ${key} is not set in your environment`, {
        hint: `set it, or give a value: --env ${key}=VALUE`,
      });
    }
    parsed[key] = value;
  }
  return parsed;
}

export function buildTask(
  spec: TaskSpec,
  context: { id: string; lease: string; cwd: string; env: NodeJS.ProcessEnv; host: string; now: Date; config: Config },
): Task {
  return {
    v: PROTOCOL_VERSION,
    id: context.id,
    lease: context.lease,
    ...(spec.name !== undefined && { name: spec.name }),
    command: spec.argv ? { kind: "argv", argv: spec.argv } : { kind: "shell", script: spec.shell ?? "" },
    cwd: resolve(context.cwd, spec.cwd ?? "."),
    env: { ...inheritedEnv(context.env, { withRvSettings: false }), ...spec.env },
    gpus: spec.gpus,
    cpus: spec.cpus,
    strictOrder: spec.strictOrder,
    attempt: 1,
    crashes: 0,
    maxCrashes: spec.maxCrashes ?? context.config.defaults.maxCrashes,
    submittedAt: context.now.toISOString(),
    submitHost: context.host,
    tags: spec.tags,
    ...(spec.note !== undefined && { note: spec.note }),
  };
}

export interface BadLine {
  line: number;
  reason: string;
}

/** Every line is checked before any task is published, so a file with a bad line submits nothing twice. */
export function parseSpecLines(text: string): { specs: TaskSpec[]; bad: BadLine[] } {
  const specs: TaskSpec[] = [];
  const bad: BadLine[] = [];
  text.split("\n").forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (error) {
      bad.push({ line: index + 1, reason: `not JSON: ${(error as Error).message}` });
      return;
    }
    const parsed = TaskSpecSchema.safeParse(json);
    if (parsed.success) specs.push(parsed.data);
    else {
      const issue = parsed.error.issues[0];
      bad.push({ line: index + 1, reason: `${issue?.path.join(".") || "line"}: ${issue?.message}` });
    }
  });
  return { specs, bad };
}
