import type { Origin, Where } from "../../config/expand.ts";
import { PROJECT_FILE } from "../../config/project.ts";
import { RvError } from "../../errors.ts";
import { type TaskSpec, TaskSpecSchema } from "../../ops/index.ts";
import type { Context } from "../context.ts";
import { printJson, renderTable } from "../output.ts";
import { applyProject, SETTINGS, type Setting, type Submission } from "./job.ts";
import { flagDefaults, type SubmitOptions, specsFromFlags } from "./submit.ts";
import { quoteForDisplay } from "./tasks.ts";

interface Shown {
  value: unknown;
  origin: Origin;
  where?: Where;
}

type Shape = ReturnType<typeof documentOf>;

/**
 * `rv config show [flags] [JOB [--var value]...]`: what `rv submit` would use here, made by the same code (the
 * values are the task spec's, so rv's own defaults show as they apply), and where each came from.
 */
export async function runConfigShow(
  context: Context,
  words: string[],
  flags: SubmitOptions & { afterDashes?: boolean },
): Promise<number> {
  const { ctx, submission } = applyProject(context, words, flags, {
    verbFlags: ["--json"],
    check: (given) => flagDefaults(given, context.env),
  });
  if (words.length > 0 && submission.job === null && !flags.afterDashes) throw notAJob(submission, words[0] ?? "");
  const document = documentOf(submission, specOf(submission, ctx.env));
  if (ctx.json) printJson(ctx.io, document);
  else ctx.io.out(render(ctx, document));
  return 0;
}

function notAJob(submission: Submission<SubmitOptions>, word: string): RvError {
  if (!submission.project) {
    return new RvError("usage", `no ${PROJECT_FILE} here, so no job ${JSON.stringify(word)}`, {
      hint: `rv looks for ${PROJECT_FILE} from the current directory up to your home directory (or up to / outside it)`,
    });
  }
  const jobs = Object.keys(submission.project.data.jobs ?? {});
  return new RvError("usage", `${submission.project.file}: no job ${JSON.stringify(word)}`, {
    hint: jobs.length > 0 ? `its jobs: ${jobs.join(", ")}` : 'add one: [jobs.NAME] with command = "..."',
  });
}

/** The task spec `rv submit` would build; without a command, the settings alone. */
function specOf(submission: Submission<SubmitOptions>, env: NodeJS.ProcessEnv): TaskSpec {
  const { argv, flags } = submission;
  if (argv.length > 0 || flags.shell !== undefined) {
    const [spec] = specsFromFlags(argv, flags, env);
    if (spec) return spec;
  }
  return TaskSpecSchema.parse({ argv: ["true"], ...flagDefaults(flags, env) });
}

function documentOf(submission: Submission<SubmitOptions>, spec: TaskSpec) {
  const { project, origins } = submission;
  const hasCommand = submission.argv.length > 0 || submission.flags.shell !== undefined;
  const shown = (key: Setting, value: unknown): Shown => {
    const found = origins[key];
    return { value: value ?? null, origin: found?.origin ?? "default", ...(found?.where && { where: found.where }) };
  };
  const specValue = (key: Setting): unknown => {
    if (key === "lease") return submission.flags.lease;
    if (key === "cwd") return spec.cwd ?? submission.projectDir;
    if (key === "maxRunning") return spec.maxRunning?.max;
    return (spec as Record<string, unknown>)[key];
  };
  return {
    project: project?.file ?? null,
    dotenv: project?.dotenv?.file ?? null,
    job: submission.job,
    jobs: Object.entries(project?.data.jobs ?? {}).map(([name, job]) => ({
      name,
      description: job.description ?? null,
    })),
    command: {
      value: hasCommand ? (spec.shell !== undefined ? { shell: spec.shell } : { argv: spec.argv ?? [] }) : null,
      origin: submission.resolved?.command ? "job" : hasCommand ? "flag" : "default",
      ...(submission.resolved?.command?.where && { where: submission.resolved.command.where }),
    } satisfies Shown,
    settings: Object.fromEntries(SETTINGS.map((key) => [key, shown(key, specValue(key))])),
    env: Object.fromEntries(
      Object.entries(spec.env).map(([key, value]) => [key, { value, origin: origins.env[key] ?? "flag" }]),
    ),
    tags: spec.tags.map((value, i) => ({ value, origin: origins.tags[i] ?? "flag" })),
    variables: Object.fromEntries(
      Object.entries(submission.resolved?.variables ?? {}).map(([name, found]) => [
        name,
        { value: found.value, origin: found.origin, ...(found.where && { where: found.where }) },
      ]),
    ),
  };
}

function render(ctx: Context, shape: Shape): string {
  const from = (s: { origin: Origin; where?: Where }) =>
    s.where?.line ? `${s.origin} (line ${s.where.line})` : s.origin;
  const head = [
    `project  ${shape.project ?? `none: no ${PROJECT_FILE} from here up to your home directory`}\n`,
    ...(shape.dotenv ? [`.env     ${shape.dotenv}\n`] : []),
    ...(shape.jobs.length > 0
      ? [`jobs     ${shape.jobs.map((j) => (j.name === shape.job ? `${j.name} (shown)` : j.name)).join(", ")}\n`]
      : []),
  ].join("");
  const command = shape.command.value;
  const rows: string[][] = [
    [
      "command",
      command === null
        ? "- (after --)"
        : "shell" in command
          ? (command.shell ?? "")
          : command.argv.map(quoteForDisplay).join(" "),
      from(shape.command),
    ],
  ];
  for (const [key, s] of Object.entries(shape.settings)) {
    if (s.value === null || s.value === undefined) {
      if (key === "lease") rows.push([key, `- (the running lease, else ${ctx.config.defaults.lease})`, from(s)]);
      else if (key === "cwd")
        rows.push([key, "- (the current directory; on a cluster lease, your home there)", from(s)]);
      continue;
    }
    if (s.value === false && s.origin === "default") continue;
    const text = Array.isArray(s.value) ? s.value.join(",") : String(s.value);
    rows.push([
      key,
      key === "cwd" && s.origin === "default" ? `${text} (a cluster lease: your home there)` : text,
      from(s),
    ]);
  }
  if (shape.tags.length > 0) rows.push(["tags", shape.tags.map((t) => `${t.value} (${t.origin})`).join(", "), ""]);
  for (const [key, s] of Object.entries(shape.env)) rows.push([`env ${key}`, s.value, s.origin]);
  for (const [name, s] of Object.entries(shape.variables)) rows.push([`\${${name}}`, s.value, from(s)]);
  return head + renderTable(ctx.io, ["setting", "value", "from"], rows);
}
