import type { WebLease, WebSnapshot } from "../schema.ts";
import { emptyRow, h, refill, table } from "./dom.ts";
import { ago, duration, ran } from "./format.ts";
import { STATE_GROUPS, type TaskRow, type View } from "./view.ts";

/** Rows drawn at most: a history of 100,000 tasks is searched, not scrolled. */
const MAX_ROWS = 500;

/** Which tasks the dashboard lists: a state group, a tag, a sweep (each "" for any) and a search of the rest. */
export interface TaskFilter {
  state: string;
  tag: string;
  sweep: string;
  search: string;
}

/** The filter a dashboard's address asks for (`#/?state=failed&tag=demo&sweep=sw-1&q=lr`): a reload keeps it. */
export function filterOf(query: string): TaskFilter {
  const asked = new URLSearchParams(query);
  const state = asked.get("state") ?? "";
  return {
    state: Object.hasOwn(STATE_GROUPS, state) && state !== "all" ? state : "",
    tag: asked.get("tag") ?? "",
    sweep: asked.get("sweep") ?? "",
    search: asked.get("q") ?? "",
  };
}

/** The dashboard's address for a filter: `#/` when it lists every task. */
export function filterHref(filter: Partial<TaskFilter>): string {
  const query = new URLSearchParams(
    Object.entries({ state: filter.state, tag: filter.tag, sweep: filter.sweep, q: filter.search }).filter(
      (entry): entry is [string, string] => Boolean(entry[1]),
    ),
  ).toString();
  return query ? `#/?${query}` : "#/";
}

/**
 * Leases (phase, runners, GPUs) and tasks, filtered by state, tag and sweep and searched by name, id or tag, all
 * at once. `onFilter` hears each change, to keep it in the page's address.
 */
export function dashboardView(filter: TaskFilter, onFilter: (filter: TaskFilter) => void): View {
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
  const change = (next: Partial<TaskFilter>) => {
    filter = { ...filter, ...next };
    onFilter(filter);
    if (last) update(last.snapshot, last.nowMs);
  };
  const searchBox = h("input", {
    type: "search",
    placeholder: "search name, id or tag",
    "aria-label": "search tasks",
    value: filter.search,
    oninput: (event) => change({ search: (event.target as HTMLInputElement).value.trim() }),
  });
  const choice = (id: string, label: string, field: "tag" | "sweep") =>
    h("select", {
      id,
      "aria-label": label,
      onchange: (event) => change({ [field]: (event.target as HTMLSelectElement).value }),
    });
  const tagSelect = choice("tag-filter", "tag", "tag");
  const sweepSelect = choice("sweep-filter", "sweep", "sweep");

  function update(snapshot: WebSnapshot, nowMs: number): void {
    last = { snapshot, nowMs };
    refill(leases, snapshot.leases.length ? snapshot.leases.map((l) => leaseRow(l)) : emptyRow(6, "no leases"));
    const sweepRows = sweepsOf(snapshot.tasks);
    sweepSection.hidden = sweepRows.length === 0;
    refill(sweeps, sweepRows);
    const group = filter.state || "all";
    refill(
      filters,
      Object.entries(STATE_GROUPS).map(([name, test]) =>
        h(
          "button",
          {
            class: name === group ? "chip on" : "chip",
            "data-state": name,
            onclick: () => change({ state: name === "all" ? "" : name }),
          },
          `${name} ${snapshot.tasks.filter((t) => test(t.state)).length}`,
        ),
      ),
    );
    const tags = counted(snapshot.tasks.flatMap((t) => t.tags));
    const sweepIds = counted(snapshot.tasks.flatMap((t) => (t.sweep ? [t.sweep.id] : [])));
    offer(tagSelect, "data-tag", "any tag", tags, filter.tag);
    offer(sweepSelect, "data-sweep", "any sweep", sweepIds, filter.sweep);
    const test = STATE_GROUPS[group] ?? (() => true);
    const search = filter.search.toLowerCase();
    const rows = snapshot.tasks
      .filter(
        (t) =>
          test(t.state) &&
          (!filter.tag || t.tags.includes(filter.tag)) &&
          (!filter.sweep || t.sweep?.id === filter.sweep) &&
          matches(t, search),
      )
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
      h("div", { class: "toolbar" }, filters, tagSelect, sweepSelect, searchBox, shown),
      table(["task", "name", "state", "lease", "attempt", "started", "ran", "exit"], tasks, "tasks"),
    ),
  );
  return { element, update };
}

/** Each name and how many times it occurs, by name. */
function counted(names: string[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return [...counts.entries()].sort(([a], [b]) => a.localeCompare(b));
}

/**
 * A filter's options: any, then each name with its count; the one chosen stays offered (with 0) when no task has
 * it any more, so that an address asking for it still says so.
 */
function offer(select: HTMLSelectElement, key: string, any: string, names: [string, number][], chosen: string): void {
  const all = chosen && !names.some(([name]) => name === chosen) ? [...names, [chosen, 0] as [string, number]] : names;
  refill(
    select,
    h("option", { value: "", [key]: "" }, any),
    all.map(([name, count]) => h("option", { value: name, [key]: name }, `${name} (${count})`)),
  );
  select.value = chosen;
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
