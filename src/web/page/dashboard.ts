import type { WebLease, WebSnapshot } from "../schema.ts";
import { emptyRow, h, refill, table } from "./dom.ts";
import { ago, duration, ran } from "./format.ts";
import { STATE_GROUPS, type TaskRow, type View } from "./view.ts";

/** Rows drawn at most: a history of 100,000 tasks is searched, not scrolled. */
const MAX_ROWS = 500;

/** Leases (phase, runners, GPUs) and tasks (filtered by state, searched by name, id or tag). */
export function dashboardView(): View {
  let group = "all";
  let search = "";
  let last: { snapshot: WebSnapshot; nowMs: number } | null = null;
  const leases = h("tbody");
  const sweeps = h("tbody");
  const sweepSection = h(
    "section",
    { hidden: true },
    h("h2", {}, "Sweeps"),
    table(["sweep", "parameters", "points", "running", "succeeded", "failed"], sweeps, "sweeps"),
  );
  const tasks = h("tbody");
  const filters = h("div", { class: "filters", role: "group", "aria-label": "state" });
  const shown = h("span", { class: "muted" });
  const redraw = () => last && update(last.snapshot, last.nowMs);
  const searchBox = h("input", {
    type: "search",
    placeholder: "search name, id or tag",
    "aria-label": "search tasks",
    oninput: (event) => {
      search = (event.target as HTMLInputElement).value.trim().toLowerCase();
      redraw();
    },
  });

  function update(snapshot: WebSnapshot, nowMs: number): void {
    last = { snapshot, nowMs };
    refill(leases, snapshot.leases.length ? snapshot.leases.map((l) => leaseRow(l)) : emptyRow(6, "no leases"));
    const sweepRows = sweepsOf(snapshot.tasks);
    sweepSection.hidden = sweepRows.length === 0;
    refill(sweeps, sweepRows);
    refill(
      filters,
      Object.entries(STATE_GROUPS).map(([name, test]) =>
        h(
          "button",
          {
            class: name === group ? "chip on" : "chip",
            "data-state": name,
            onclick: () => {
              group = name;
              redraw();
            },
          },
          `${name} ${snapshot.tasks.filter((t) => test(t.state)).length}`,
        ),
      ),
    );
    const test = STATE_GROUPS[group] ?? (() => true);
    const rows = snapshot.tasks
      .filter((t) => test(t.state) && matches(t, search))
      .sort((a, b) => b.submittedAt.localeCompare(a.submittedAt));
    refill(tasks, rows.length ? rows.slice(0, MAX_ROWS).map((t) => taskRow(t, nowMs)) : emptyRow(8, "no tasks"));
    shown.textContent = rows.length > MAX_ROWS ? `the newest ${MAX_ROWS} of ${rows.length}` : `${rows.length} shown`;
  }

  const element = h(
    "div",
    { class: "dashboard" },
    h("section", {}, h("h2", {}, "Leases"), table(["lease", "kind", "phase", "runners", "GPUs", "time left"], leases)),
    sweepSection,
    h(
      "section",
      {},
      h("h2", {}, "Tasks"),
      h("div", { class: "toolbar" }, filters, searchBox, shown),
      table(["task", "name", "state", "lease", "attempt", "started", "ran", "exit"], tasks, "tasks"),
    ),
  );
  return { element, update };
}

function matches(task: TaskRow, search: string): boolean {
  if (!search) return true;
  return [task.id, task.name ?? "", ...task.tags].some((text) => text.toLowerCase().includes(search));
}

function leaseRow(lease: WebLease): HTMLTableRowElement {
  const live = lease.runners.filter((r) => r.health === "ok" || r.health === "draining");
  const runners = lease.runners.length
    ? lease.runners.map((r) =>
        h("span", { class: `health ${r.health}`, title: r.id }, `${r.host} ${r.health} · ${r.running} running`),
      )
    : h("span", { class: "muted" }, "none");
  const cpus = live.reduce((sum, r) => sum + r.cpus, 0);
  const freeCpus = live.reduce((sum, r) => sum + r.freeCpus, 0);
  const gpus =
    lease.gpus.busy + lease.gpus.free > 0
      ? `${lease.gpus.busy} busy · ${lease.gpus.free} free`
      : `no GPU · CPUs ${cpus - freeCpus}/${cpus}`;
  return h(
    "tr",
    { "data-lease": lease.id },
    h(
      "td",
      {},
      h(
        "a",
        { href: `#/lease/${encodeURIComponent(lease.place)}/${encodeURIComponent(lease.id)}` },
        lease.place === "local" ? lease.id : `${lease.place}:${lease.id}`,
      ),
    ),
    h("td", {}, lease.kind),
    h("td", { class: lease.phaseTone ?? "" }, lease.phase ?? lease.state),
    h("td", { class: "runners" }, runners),
    h("td", {}, gpus),
    h("td", {}, lease.timeLeftSeconds === null ? "" : duration(lease.timeLeftSeconds)),
  );
}

function taskRow(task: TaskRow, nowMs: number): HTMLTableRowElement {
  const href = `#/task/${encodeURIComponent(task.id)}`;
  return h(
    "tr",
    { "data-task": task.id },
    h("td", { class: "mono" }, h("a", { href }, task.id)),
    h(
      "td",
      {},
      h("a", { href }, task.name ?? ""),
      task.tags.map((tag) => h("span", { class: "tag" }, tag)),
    ),
    h("td", {}, h("span", { class: `state ${task.state}` }, task.state)),
    h("td", {}, task.lease),
    h("td", {}, String(task.attempt)),
    h("td", {}, ago(task.startedAt, nowMs)),
    h("td", {}, ran(task.startedAt, task.endedAt, nowMs)),
    h("td", {}, exitOf(task)),
  );
}

export function exitOf(task: TaskRow): string {
  if (task.exitCode !== null) return `exit ${task.exitCode}`;
  if (task.signal) return task.signal;
  return task.reason ?? "";
}

/** Every sweep among the tasks, newest first: its parameters and how its points stand. */
function sweepsOf(tasks: TaskRow[]): HTMLTableRowElement[] {
  const bySweep = new Map<string, TaskRow[]>();
  for (const task of tasks) if (task.sweep) bySweep.set(task.sweep.id, [...(bySweep.get(task.sweep.id) ?? []), task]);
  const newest = (points: TaskRow[]) => points.reduce((max, t) => (t.submittedAt > max ? t.submittedAt : max), "");
  return [...bySweep.entries()]
    .sort(([, a], [, b]) => newest(b).localeCompare(newest(a)))
    .map(([id, points]) => {
      const count = (state: string) => String(points.filter((t) => t.state === state).length);
      const params = [...new Set(points.flatMap((t) => Object.keys(t.sweep?.point ?? {})))].join(", ");
      return h(
        "tr",
        { "data-sweep": id },
        h("td", { class: "mono" }, h("a", { href: `#/sweep/${encodeURIComponent(id)}` }, id)),
        h("td", {}, params),
        h("td", {}, String(points.length)),
        h("td", {}, count("running")),
        h("td", {}, count("succeeded")),
        h("td", {}, count("failed")),
      );
    });
}
