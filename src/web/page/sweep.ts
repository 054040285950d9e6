import type { WebSnapshot, WebSweepMetrics } from "../schema.ts";
import { type Chart, type ScatterPoint, scatterChart } from "./chart.ts";
import { exitOf, filterHref } from "./dashboard.ts";
import { fill, h, refill } from "./dom.ts";
import type { TaskRow, View } from "./view.ts";

/** A sweep's points (as `rv sweep show` lists them: by id), from the snapshot's tasks. */
export function pointsOf(tasks: TaskRow[], sweep: string): TaskRow[] {
  return tasks.filter((t) => t.sweep?.id === sweep).sort((a, b) => a.id.localeCompare(b.id));
}

/** The metric charted first: a loss if the points print one, else the first name found. */
const PREFERRED = ["loss", "val_loss", "eval_loss", "accuracy", "acc"];

/**
 * A sweep: its grid of points as a table coloured by state, and a chart of a metric the points print (the last
 * `name=value` of each one's stdout, read by the server) against one swept parameter, both chosen in the page.
 */
export function sweepView(id: string): View & { showSweep(metrics: WebSweepMetrics): void } {
  let points: TaskRow[] = [];
  let metrics: WebSweepMetrics | null = null;
  let metric = "";
  let param = "";
  let drawn = "";
  let chart: Chart | null = null;
  const title = h("h2", {}, `sweep ${id}`);
  const summary = h("span", { class: "muted" });
  const metricSelect = h("select", { id: "metric", "aria-label": "metric", onchange: () => choose() });
  const paramSelect = h("select", { id: "param", "aria-label": "parameter", onchange: () => choose() });
  const chartBox = h("div", { id: "sweep-chart" });
  const head = h("thead");
  const body = h("tbody");

  function choose(): void {
    metric = metricSelect.value;
    param = paramSelect.value;
    draw();
  }

  function params(): string[] {
    return [...new Set(points.flatMap((t) => Object.keys(t.sweep?.point ?? {})))];
  }

  function metricNames(): string[] {
    const names = new Set(Object.values(metrics?.metrics ?? {}).flatMap((m) => Object.keys(m)));
    return [...names].sort();
  }

  /** Options as given, the chosen one kept (or the first preferred one); returns the choice. */
  function options(select: HTMLSelectElement, names: string[], chosen: string, preferred: string[] = []): string {
    const pick = names.includes(chosen) ? chosen : (preferred.find((n) => names.includes(n)) ?? names[0] ?? "");
    const current = [...select.options].map((o) => o.value).join("\n");
    if (current !== names.join("\n"))
      fill(
        select,
        names.map((n) => h("option", { value: n }, n)),
      );
    select.value = pick;
    return pick;
  }

  function draw(): void {
    const names = params();
    metric = options(metricSelect, metricNames(), metric, PREFERRED);
    param = options(paramSelect, names, param);
    refill(
      head,
      h(
        "tr",
        {},
        ["task", ...names, "state", "exit", metric || "metric"].map((c) => h("th", {}, c)),
      ),
    );
    refill(
      body,
      points.map((t) => {
        const value = metrics?.metrics[t.id]?.[metric];
        return h(
          "tr",
          { class: `point ${t.state}`, "data-task": t.id },
          h("td", { class: "mono" }, h("a", { href: `#/task/${encodeURIComponent(t.id)}` }, t.id)),
          names.map((n) => h("td", {}, t.sweep?.point[n] ?? "")),
          h("td", {}, h("span", { class: `state ${t.state}` }, t.state)),
          h("td", {}, exitOf(t)),
          h("td", { class: "num" }, value === undefined ? "" : String(value)),
        );
      }),
    );
    const plotted: ScatterPoint[] = points.flatMap((t) => {
      const y = metrics?.metrics[t.id]?.[metric];
      const raw = t.sweep?.point[param];
      if (y === undefined || raw === undefined) return [];
      const x = raw.trim() !== "" && Number.isFinite(Number(raw)) ? Number(raw) : raw;
      return [{ x, y, label: t.id }];
    });
    // Drawn again only when what it shows changed: a refresh that brings the same numbers leaves it be.
    const key = JSON.stringify([metric, param, plotted]);
    if (key === drawn) return;
    drawn = key;
    chart?.destroy();
    chart = scatterChart(plotted, { x: param || "point", y: metric || "metric" });
    fill(chartBox, chart.element);
  }

  function update(snapshot: WebSnapshot): void {
    points = pointsOf(snapshot.tasks, id);
    const count = (state: string) => points.filter((t) => t.state === state).length;
    summary.textContent = `${points.length} points · ${count("running")} running · ${count("succeeded")} succeeded · ${count("failed")} failed`;
    draw();
  }

  function showSweep(next: WebSweepMetrics): void {
    if (next.sweep !== id) return;
    metrics = next;
    if (next.read < next.points) summary.title = `metrics of the first ${next.read} of ${next.points} points`;
    draw();
  }

  const element = h(
    "div",
    { class: "sweep" },
    h("a", { href: "#/", class: "back" }, "← all tasks"),
    h(
      "div",
      { class: "title" },
      title,
      summary,
      h("a", { href: filterHref({ sweep: id }), id: "sweep-tasks" }, "its tasks on the dashboard"),
    ),
    h(
      "div",
      { class: "toolbar" },
      h("label", {}, "metric ", metricSelect),
      h("label", {}, "against ", paramSelect),
      h("span", { class: "muted" }, "the last name=value each point printed on stdout"),
    ),
    chartBox,
    h("table", { id: "points" }, head, body),
  );
  return { element, update, showSweep };
}
