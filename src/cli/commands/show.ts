import { RvError } from "../../errors.ts";
import { showOp, type TaskDetail } from "../../ops/index.ts";
import { plural } from "../../plural.ts";
import type { Context } from "../context.ts";
import { formatDuration, printJson } from "../output.ts";
import { onSelectedTasks } from "../route.ts";
import { outcomeText } from "../ui/format.ts";
import { usageText } from "./stats.ts";
import { quoteForDisplay } from "./tasks.ts";

/** `rv show TASK`: one call where the task lives; a labelled page for people, the whole detail with --json. */
export async function runShow(ctx: Context, ref: string, options: { lease?: string }): Promise<number> {
  const selection = { refs: [ref], lease: options.lease ?? null, all: false, tags: [] };
  const { reached } = await onSelectedTasks(ctx, selection, (place, select) => place.call(showOp, { select }));
  const found = reached.find(({ value }) => value.task);
  const task = found?.value.task;
  if (!found || !task) throw new RvError("not_found", `no task matches ${JSON.stringify(ref)}`);
  if (ctx.json) printJson(ctx.io, { place: found.place.name, ...task });
  else ctx.io.out(renderDetail(task, found.place.name));
  return 0;
}

function renderDetail(d: TaskDetail, place: string): string {
  const v = d.view;
  const command =
    "argv" in v.command ? v.command.argv.map(quoteForDisplay).join(" ") : `bash -c ${quoteForDisplay(v.command.shell)}`;
  const ended = outcomeText(v);
  const rows: [string, string | null][] = [
    [
      "state",
      `${v.state}${ended ? ` (${ended})` : ""}, attempt ${v.attempt}${d.retry ? ` (retried ${d.retried} of ${d.retry.max})` : ""}`,
    ],
    ["command", command],
    ["cwd", v.cwd],
    ["asks", asks(d)],
    ["ran on", v.host ? `${v.host}${v.assignedGpus.length ? `, GPUs ${v.assignedGpus.join(",")}` : ""}` : null],
    [
      "sweep",
      v.sweep
        ? `${v.sweep.id} (${Object.entries(v.sweep.point)
            .map(([k, x]) => `${k}=${x}`)
            .join(", ")})`
        : null,
    ],
    ["after", v.after.length ? v.after.join(", ") : null],
    ["rerun of", d.rerunOf],
    ["code", d.code ? codeText(d.code) : null],
    ["tags", v.tags.length ? v.tags.join(", ") : null],
    ["note", v.note],
    ["env", d.envNames.join(" ")],
    ["submitted", v.submittedAt],
  ];
  const lines = [`task ${v.id}${v.name ? ` (${v.name})` : ""} in lease ${v.lease} (${place})`];
  for (const [label, value] of rows) if (value) lines.push(`  ${label.padEnd(10)} ${value}`);
  lines.push("  attempts");
  for (const a of d.attempts) {
    const when = a.startedAt ? `started ${a.startedAt}` : a.claimedAt ? `claimed ${a.claimedAt}` : "not started";
    const ranMs = a.startedAt && a.endedAt ? Date.parse(a.endedAt) - Date.parse(a.startedAt) : null;
    const took = ranMs === null ? "" : ` (${formatDuration(ranMs)})`;
    lines.push(`    ${a.attempt}  ${when}${took}${a.outcome ? `: ${a.outcome}` : ""}`);
    if (a.usage) lines.push(`       used ${usageText(a.usage, ranMs)}`);
    for (const log of [a.out, a.err]) if (log.exists) lines.push(`       ${log.file}`);
  }
  return `${lines.join("\n")}\n`;
}

/** Outside git there is no commit and nothing is dirty: a commit missing with changes is a tree with none yet. */
function codeText(code: NonNullable<TaskDetail["code"]>): string {
  const pushed = code.workspace ? `, pushed to ${code.workspace}` : "";
  if (!code.commit) return `${code.dirty ? "a git tree with nothing committed yet" : "not in git"}${pushed}`;
  return `commit ${code.commit.slice(0, 12)}${code.dirty ? " with changes not committed" : ""}${pushed}`;
}

function asks(d: TaskDetail): string {
  const v = d.view;
  const parts = [plural(v.gpus, "GPU"), plural(v.cpus, "CPU")];
  if (d.timeRequestMs !== null) parts.push(`needs ${formatDuration(d.timeRequestMs)}`);
  if (d.timeoutMs !== null) parts.push(`timeout ${formatDuration(d.timeoutMs)}`);
  if (d.retry) {
    const on = d.retry.on.length ? ` on ${d.retry.on.join(",")}` : "";
    parts.push(`retry ${d.retry.max} after ${formatDuration(d.retry.delayMs)}${on}`);
  }
  if (d.maxRunning) parts.push(`at most ${d.maxRunning.max} of ${d.maxRunning.group} at once`);
  if (d.checkpointSignal) parts.push(`checkpoints on ${d.checkpointSignal}`);
  return parts.join("; ");
}
