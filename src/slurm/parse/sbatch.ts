import { deferred } from "../../deferred.ts";
import { z } from "../../zod.ts";
import { expandHostlist } from "./hostlist.ts";
import type { Result } from "./issues.ts";
import { InstantSchema, parseInstant, type TimeOptions } from "./time.ts";

/** `sbatch --parsable` prints `123` or `123;cluster`; plain sbatch prints `Submitted batch job 123`. */
export const SbatchSubmitSchema = deferred(() => z.object({ jobId: z.string(), cluster: z.nullable(z.string()) }));
export type SbatchSubmit = z.infer<typeof SbatchSubmitSchema>;

export function parseSbatchSubmit(stdout: string): Result<SbatchSubmit> {
  const lines = stdout.split("\n").map((l) => l.trim());
  for (const line of lines.reverse()) {
    const m = /^(?:Submitted batch job )?(\d+)(?:;(\S+))?$/.exec(line);
    if (m?.[1]) return { ok: true, value: { jobId: m[1], cluster: m[2] ?? null } };
  }
  return { ok: false, reason: `no job id in sbatch output: ${JSON.stringify(stdout.slice(0, 200))}` };
}

/**
 * Why Slurm refused a job, from sbatch's stderr (`--test-only` or a real submit). The kinds are what rv acts on:
 * a wrong partition or account is the user's to fix; `node_config_unavailable` (too many GPUs, a GPU type the
 * partition lacks, -N too large) rules a candidate out; `qos_or_limit` is a policy that may pass later.
 */
export const SbatchErrorKindSchema = z.enum([
  "invalid_partition",
  "invalid_account",
  "qos_or_limit",
  "node_config_unavailable",
  "other",
]);
export type SbatchErrorKind = z.infer<typeof SbatchErrorKindSchema>;

export const SbatchErrorSchema = deferred(() =>
  z.object({
    kind: SbatchErrorKindSchema,
    /** The most telling line, without `sbatch: error:` and similar prefixes. */
    message: z.string(),
    /** The partition named by `invalid partition specified: X`, when sbatch names it. */
    partition: z.nullable(z.string()),
  }),
);
export type SbatchError = z.infer<typeof SbatchErrorSchema>;

const patterns: [SbatchErrorKind, RegExp][] = [
  ["invalid_partition", /invalid partition/i],
  ["invalid_account", /invalid account|account\/partition combination/i],
  ["node_config_unavailable", /requested node configuration is not available/i],
  ["qos_or_limit", /qos|limit|policy|AssocMax|AssocGrp/i],
];

export function classifySbatchError(stderr: string): SbatchError {
  const lines = stderr
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  const partition = /invalid partition specified:\s*(\S+)/i.exec(stderr)?.[1] ?? null;
  for (const [kind, pattern] of patterns) {
    const line = lines.find((l) => pattern.test(l));
    if (line) return { kind, message: stripPrefixes(line), partition };
  }
  const line = lines.find((l) => /error|failure/i.test(l)) ?? lines[0] ?? "";
  return { kind: "other", message: stripPrefixes(line), partition };
}

const prefix = /^(sbatch: error:|sbatch:|allocation failure:|Batch job submission failed:)\s*/i;

function stripPrefixes(line: string): string {
  let text = line;
  while (prefix.test(text)) text = text.replace(prefix, "");
  return text;
}

/**
 * `sbatch --test-only` answers on stderr (exit 0):
 * `sbatch: Job 47 to start at 2026-11-23T02:40:01 using 1 processors on nodes a6000-01 in partition gpu-a6000`.
 * In 22.05 the estimate ignores the backfill plan (see the notes): treat it as a lower bound on the wait.
 * Every --test-only uses up a job id that never appears anywhere. `nodes` is the expanded hostlist (a list
 * rv cannot expand is kept whole, as one name).
 */
export const SbatchEstimateSchema = deferred(() =>
  z.object({
    jobId: z.string(),
    start: InstantSchema,
    cpus: z.int(),
    nodes: z.array(z.string()),
    partition: z.string(),
  }),
);
export type SbatchEstimate = z.infer<typeof SbatchEstimateSchema>;

export const TestOnlySchema = deferred(() =>
  z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("estimate"), estimate: SbatchEstimateSchema }),
    z.object({ kind: z.literal("error"), error: SbatchErrorSchema }),
  ]),
);
export type TestOnly = z.infer<typeof TestOnlySchema>;

const estimateLine = /sbatch: Job (\d+) to start at (.+?) using (\d+) processors on nodes (\S+) in partition (\S+)/;

export function parseTestOnly(stderr: string, opts: TimeOptions = {}): TestOnly {
  const m = estimateLine.exec(stderr);
  if (!m) return { kind: "error", error: classifySbatchError(stderr) };
  const [, jobId = "", start = "", cpus = "0", nodelist = "", partition = ""] = m;
  const nodes = expandHostlist(nodelist);
  const estimate = { jobId, start: parseInstant(start, opts), cpus: Number(cpus), partition };
  return { kind: "estimate", estimate: { ...estimate, nodes: nodes.ok ? nodes.value : [nodelist] } };
}
