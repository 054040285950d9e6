import type { TaskDetail } from "../../ops/show.ts";
import type { WebLog, WebSnapshot } from "../schema.ts";
import { fetchTask } from "./api.ts";
import { exitOf } from "./dashboard.ts";
import { emptyRow, h, refill, table } from "./dom.ts";
import { ago, bytes, commandLine, ran } from "./format.ts";
import { isLive, type TaskRow, type View } from "./view.ts";

export type LogStream = WebLog["stream"];

export interface TaskViewHooks {
  stream: LogStream;
  /** The page follows the other stream of the log (its event stream asks for that one). */
  onStream(stream: LogStream): void;
  onAction(task: TaskRow, action: "cancel" | "requeue"): void;
}

/** One task: what it runs, its attempts (`rv show`), and its log, followed as it grows. */
export function taskView(id: string, hooks: TaskViewHooks): View & { showLog(log: WebLog): void } {
  const title = h("h2", {}, id);
  const actions = h("div", { class: "actions" });
  const facts = h("dl", { class: "facts" });
  const attempts = h("tbody");
  const log = h("pre", { id: "log", class: "log" }, "loading…");
  const logNote = h("span", { class: "muted" });
  const follow = h("input", { type: "checkbox", checked: true, id: "follow" });
  let seen = "";
  /** The task as the last refresh showed it: what a button acts on when pressed. */
  let current: TaskRow | null = null;

  const streamButton = (stream: LogStream) =>
    h("button", { class: stream === hooks.stream ? "chip on" : "chip", onclick: () => hooks.onStream(stream) }, stream);

  function update(snapshot: WebSnapshot, nowMs: number): void {
    const task = snapshot.tasks.find((t) => t.id === id);
    current = task ?? null;
    if (!task) {
      refill(facts, h("p", { class: "muted" }, `task ${id} is in none of the leases shown`));
      refill(actions);
      return;
    }
    title.replaceChildren(task.name ?? task.id, " ", h("span", { class: `state ${task.state}` }, task.state));
    const act = (action: "cancel" | "requeue") => () => current && hooks.onAction(current, action);
    refill(
      actions,
      isLive(task.state)
        ? h("button", { class: "danger", onclick: act("cancel") }, "Cancel")
        : h("button", { onclick: act("requeue") }, "Requeue"),
    );
    refill(facts, factList(task, nowMs));
    // Attempts come from `rv show`: asked again only when the task moves on.
    const key = `${task.state}/${task.attempt}`;
    if (key !== seen) {
      seen = key;
      fetchTask(id)
        .then((detail) => refill(attempts, attemptRows(detail, nowMs)))
        .catch((error: Error) => refill(attempts, emptyRow(6, error.message)));
    }
  }

  function showLog(next: WebLog): void {
    if (next.taskId !== id || next.stream !== hooks.stream) return;
    const text = next.text || "(no output yet)";
    if (log.textContent !== text) {
      log.textContent = text;
      if (follow.checked) log.scrollTop = log.scrollHeight;
    }
    logNote.textContent =
      next.bytes > next.text.length ? `the last ${bytes(next.text.length)} of ${bytes(next.bytes)}` : "";
  }

  const element = h(
    "div",
    { class: "task" },
    h("a", { href: "#/", class: "back" }, "← all tasks"),
    h("div", { class: "title" }, title, actions),
    facts,
    h("h3", {}, "Attempts"),
    table(["attempt", "runner", "started", "ran", "outcome", "peak memory"], attempts, "attempts"),
    h(
      "div",
      { class: "toolbar" },
      h("h3", {}, "Log"),
      streamButton("stdout"),
      streamButton("stderr"),
      h("label", {}, follow, " follow"),
      logNote,
    ),
    log,
  );
  return { element, update, showLog };
}

function factList(task: TaskRow, nowMs: number): HTMLElement[] {
  const gpus = task.assignedGpus.length ? task.assignedGpus.join(",") : String(task.gpus);
  const rows: [string, string][] = [
    ["id", task.id],
    ["command", commandLine(task.command)],
    ["cwd", task.cwd],
    ["lease", task.lease],
    ["host", task.host ?? ""],
    ["GPUs · CPUs", `${gpus} · ${task.cpus}`],
    ["submitted", ago(task.submittedAt, nowMs)],
    ["ran", ran(task.startedAt, task.endedAt, nowMs)],
    ["ended", exitOf(task)],
    ["tags", task.tags.join(", ")],
    ["note", task.note ?? ""],
  ];
  return rows.filter(([, value]) => value).flatMap(([name, value]) => [h("dt", {}, name), h("dd", {}, value)]);
}

function attemptRows(detail: TaskDetail | null, nowMs: number): HTMLTableRowElement[] {
  if (!detail || detail.attempts.length === 0) {
    return [emptyRow(6, "not started yet")];
  }
  return detail.attempts.map((a) =>
    h(
      "tr",
      { "data-attempt": String(a.attempt) },
      h("td", {}, String(a.attempt)),
      h("td", { class: "mono" }, a.runner ?? ""),
      h("td", {}, ago(a.startedAt, nowMs)),
      h("td", {}, ran(a.startedAt, a.endedAt, nowMs)),
      h("td", {}, a.outcome ?? (a.endedAt ? "" : "running")),
      h("td", {}, a.usage?.peakRssBytes ? bytes(a.usage.peakRssBytes) : ""),
    ),
  );
}
