import { resolve } from "node:path";
import { type Config, durationMs, LabelSchema } from "../config/index.ts";
import { deferred } from "../deferred.ts";
import {
  type CheckpointSignal,
  CheckpointSignalSchema,
  CodeSchema,
  MaxRunningSchema,
  PROTOCOL_VERSION,
  SweepPointSchema,
  type Task,
} from "../fsqueue/index.ts";
import { optionalBuiltOnUse, z } from "../zod.ts";
import { jsonLines } from "./json-lines.ts";

const CHECKPOINT_SIGNAL_NAMES = "USR1 (the default), USR2, TERM or INT";

/** `true` (a bare `--checkpoint`) is SIGUSR1; names are taken with or without `SIG`, in any case. */
export function checkpointSignalOf(value: true | string): CheckpointSignal | undefined {
  if (value === true) return "SIGUSR1";
  const name = value.trim().toUpperCase();
  const parsed = CheckpointSignalSchema.safeParse(name.startsWith("SIG") ? name : `SIG${name}`);
  return parsed.success ? parsed.data : undefined;
}

/** A time request in whole milliseconds, or `undefined` when `text` is not a positive duration. */
export function timeRequestMs(text: string): number | undefined {
  const ms = durationMs(text);
  return ms === undefined || Math.round(ms) < 1 ? undefined : Math.round(ms);
}

const CheckpointSpecSchema = deferred(() =>
  z.pipe(
    z.union([z.literal(true), z.string()]),
    z.transform((value, ctx) => {
      const signal = checkpointSignalOf(value);
      if (signal === undefined) {
        ctx.issues.push({
          code: "custom",
          input: value,
          message: `${JSON.stringify(value)} is not a checkpoint signal: use ${CHECKPOINT_SIGNAL_NAMES}`,
        });
        return z.NEVER;
      }
      return signal;
    }),
  ),
);

/** A duration such as `90s`, `30m` or `2h`: kept as text so a spec parses the same after a round trip. */
const duration = z
  .string()
  .check(z.refine((text) => timeRequestMs(text) !== undefined, "expected a positive duration like 90s, 30m or 2h"));

/** A timer fires at once past 2^31-1 ms: longer time limits are refused. */
const MAX_TIMEOUT_MS = 24 * 24 * 3600 * 1000;

/** Before the first retry when `--retry-delay` is not given. */
export const DEFAULT_RETRY_DELAY_MS = 10_000;

/** What one task asks for: the flags of `rv submit`, and the fields of one line of `--from FILE.jsonl`. */
export const TaskSpecSchema = deferred(() =>
  z
    .strictObject({
      argv: z.optional(z.array(z.string()).check(z.minLength(1))),
      shell: z.optional(z.string().check(z.minLength(1))),
      gpus: z._default(z.int().check(z.gte(0)), 0),
      cpus: z._default(z.int().check(z.gte(1)), 1),
      name: z.optional(LabelSchema),
      env: z._default(
        z.record(z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "not a variable name")), z.string()),
        {},
      ),
      cwd: z.optional(z.string().check(z.minLength(1))),
      tags: z._default(z.array(LabelSchema), []),
      /** Globs, relative to its cwd, of what it writes (`rv pull` brings them back). */
      outputs: z.optional(z.array(z.string().check(z.minLength(1))).check(z.minLength(1))),
      /** The code it runs (`--sync`: pushed at this commit, to this workspace). */
      code: optionalBuiltOnUse(CodeSchema),
      /** References to tasks of the lease that must succeed first: ids, names, tags, wildcards (`prep-*`). */
      after: z.optional(z.array(z.string().check(z.minLength(1))).check(z.minLength(1))),
      note: z.optional(z.string()),
      strictOrder: z._default(z.boolean(), false),
      maxCrashes: z.optional(z.int().check(z.gte(1))),
      /** `true` or a signal name: the task saves its state when sent it at a segment end. */
      checkpoint: optionalBuiltOnUse(CheckpointSpecSchema),
      /** How long the task needs, e.g. `2h`. */
      timeRequest: z.optional(duration),
      /** The sweep and point this task is (set by `rv sweep`). */
      sweep: optionalBuiltOnUse(SweepPointSchema),
      /** At most `max` tasks of `group` run at once in the lease. */
      maxRunning: optionalBuiltOnUse(MaxRunningSchema),
      /** How many times a failed attempt runs again. */
      retry: z.optional(z.int().check(z.gte(0))),
      /** Before the first retry, doubled for each one after (default 10s). */
      retryDelay: z.optional(
        z.string().check(z.refine((text) => (durationMs(text) ?? -1) >= 0, "expected a duration like 0s, 30s or 5m")),
      ),
      /** Exit codes, signal names (`SIGKILL`, `KILL`) and `timeout` that are retried; every failure when absent. */
      retryOn: z.optional(z.array(z.union([z.int(), z.string().check(z.regex(/^(SIG)?[A-Z0-9]+$|^timeout$/))]))),
      /** A duration: an attempt running longer is stopped and fails with reason `timeout`. */
      timeout: z.optional(
        duration.check(
          z.refine((text) => (timeRequestMs(text) ?? 0) <= MAX_TIMEOUT_MS, "at most 24 days (a timer's limit)"),
        ),
      ),
    })
    .check(
      z.refine((spec) => (spec.argv === undefined) !== (spec.shell === undefined), {
        message: "give exactly one of `argv` (an array) or `shell` (a string)",
      }),
    ),
);
export type TaskSpec = z.infer<typeof TaskSpecSchema>;

/** Where a task runs: its `cwd`, against the submitter's working directory. */
export function taskCwd(spec: Pick<TaskSpec, "cwd">, cwd: string): string {
  return resolve(cwd, spec.cwd ?? ".");
}

/** `inherited`: the submitter's environment as its tasks take it (`inheritedEnv`), worked out once per batch. */
export function buildTask(
  spec: TaskSpec,
  context: {
    id: string;
    lease: string;
    cwd: string;
    inherited: Record<string, string>;
    host: string;
    now: Date;
    config: Config;
  },
): Task {
  return {
    v: PROTOCOL_VERSION,
    id: context.id,
    lease: context.lease,
    ...(spec.name !== undefined && { name: spec.name }),
    command: spec.argv ? { kind: "argv", argv: spec.argv } : { kind: "shell", script: spec.shell ?? "" },
    cwd: taskCwd(spec, context.cwd),
    env: { ...context.inherited, ...spec.env },
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
    ...(spec.checkpoint !== undefined && { checkpointSignal: spec.checkpoint }),
    ...(spec.timeRequest !== undefined && { timeRequestMs: timeRequestMs(spec.timeRequest) }),
    ...(spec.sweep !== undefined && { sweep: spec.sweep }),
    ...(spec.maxRunning !== undefined && { maxRunning: spec.maxRunning }),
    ...(spec.retry !== undefined && spec.retry > 0 && { retry: retryPolicy(spec, spec.retry) }),
    ...(spec.timeout !== undefined && { timeoutMs: timeRequestMs(spec.timeout) }),
    ...(spec.code !== undefined && { code: spec.code }),
    ...(spec.outputs !== undefined && { outputs: spec.outputs }),
  };
}

function retryPolicy(spec: TaskSpec, max: number): NonNullable<Task["retry"]> {
  const delayMs = spec.retryDelay === undefined ? DEFAULT_RETRY_DELAY_MS : Math.round(durationMs(spec.retryDelay) ?? 0);
  const on = (spec.retryOn ?? []).map((what) =>
    typeof what === "string" && what !== "timeout" && !what.startsWith("SIG") ? `SIG${what}` : what,
  );
  return { max, delayMs, on };
}

export interface BadLine {
  line: number;
  reason: string;
}

/** Flags given beside `--from`: every line gets them, unless it says otherwise (its tags and env add to them). */
export type SpecDefaults = Partial<Omit<z.input<typeof TaskSpecSchema>, "argv" | "shell" | "name">>;

/** Every line is checked before any task is published, so a file with a bad line submits nothing twice. */
export function parseSpecLines(text: string, defaults: SpecDefaults = {}): { specs: TaskSpec[]; bad: BadLine[] } {
  const specs: TaskSpec[] = [];
  const bad: BadLine[] = [];
  for (const entry of jsonLines(text)) {
    if ("error" in entry) {
      bad.push({ line: entry.line, reason: entry.error });
      continue;
    }
    const parsed = TaskSpecSchema.safeParse(withDefaults(entry.json, defaults));
    if (parsed.success) specs.push(parsed.data);
    else {
      const issue = parsed.error.issues[0];
      bad.push({ line: entry.line, reason: `${issue?.path.join(".") || "line"}: ${issue?.message}` });
    }
  }
  return { specs, bad };
}

function withDefaults(json: unknown, defaults: SpecDefaults): unknown {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return json;
  const line = json as Record<string, unknown>;
  const merged: Record<string, unknown> = { ...defaults, ...line };
  if (defaults.tags && Array.isArray(line.tags)) merged.tags = [...new Set([...defaults.tags, ...line.tags])];
  if (defaults.env && typeof line.env === "object" && line.env !== null) merged.env = { ...defaults.env, ...line.env };
  return merged;
}
