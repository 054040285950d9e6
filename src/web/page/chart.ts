import uPlot from "uplot";
import { h } from "./dom.ts";

/**
 * The page's charts, drawn by uPlot (small, no dependencies, bundled into rv's page like the rest: nothing is
 * fetched). Each chart keeps its uPlot: a sweep's chart (hundreds of points at most) is drawn again whole when its
 * data change, a lease's GPU chart (a thousand or two: its day of history, then one per refresh) is given them.
 */
export interface Chart {
  element: HTMLElement;
  destroy(): void;
}

const WIDTH = 860;
const HEIGHT = 300;

export interface ScatterPoint {
  /** A number, or a category (an optimizer's name): categories are spread evenly, in the order first seen. */
  x: number | string;
  y: number;
  label: string;
}

/**
 * One dot per point, y against x: a sweep's metric against one of its parameters. A numeric x spanning two
 * decades or more (learning rates) is drawn on a log scale. `data-points` says how many dots it drew.
 */
export function scatterChart(points: ScatterPoint[], labels: { x: string; y: string }): Chart {
  const element = h("div", { class: "chart", "data-points": String(points.length) });
  if (points.length === 0) {
    element.append(h("p", { class: "muted" }, `no point has printed ${labels.y} yet`));
    return { element, destroy: () => {} };
  }
  const numeric = points.every((p) => typeof p.x === "number");
  const categories = numeric ? [] : [...new Set(points.map((p) => String(p.x)))];
  const xOf = (p: ScatterPoint) => (numeric ? (p.x as number) : categories.indexOf(String(p.x)));
  const sorted = [...points].sort((a, b) => xOf(a) - xOf(b));
  const xs = sorted.map(xOf);
  const positive = numeric && xs.every((x) => x > 0);
  const logScale = positive && Math.max(...xs) / Math.min(...xs) >= 100;
  const x: uPlot.Scale = numeric
    ? { time: false, ...(logScale && { distr: 3 as const }) }
    : { time: false, range: () => [-0.5, categories.length - 0.5] };
  const xAxis: uPlot.Axis = numeric
    ? { label: labels.x }
    : {
        label: labels.x,
        splits: () => categories.map((_, i) => i),
        values: (_u, splits) => splits.map((i) => categories[i] ?? ""),
      };
  const plot = new uPlot(
    {
      width: WIDTH,
      height: HEIGHT,
      // Some room above and below, so that the highest and lowest dots are not cut by the frame.
      scales: { x, y: { range: (_u, min, max) => padded(min, max) } },
      axes: [xAxis, { label: labels.y }],
      legend: { show: false },
      series: [
        { label: labels.x },
        {
          label: labels.y,
          stroke: "#2563eb",
          paths: () => null,
          points: { show: true, size: 9, fill: "#2563eb", stroke: "#1e3a8a" },
        },
      ],
    },
    [xs, sorted.map((p) => p.y)],
    element,
  );
  return { element, destroy: () => plot.destroy() };
}

/** A lease's GPU chart, drawn again with new data in place (its day of history and each refresh's GPUs). */
export interface GpuChart extends Chart {
  update(times: number[], busy: number[], held: number[]): void;
}

/**
 * GPUs busy and free (held less busy) over time (seconds since the epoch), as steps: a lease's use over its last
 * day. Its data attributes say how many points it drew, when the first busy one was and the most busy and held.
 */
export function gpuChart(times: number[], busy: number[], held: number[]): GpuChart {
  const element = h("div", { class: "chart" });
  const data = (times: number[], busy: number[], held: number[]): uPlot.AlignedData => {
    const firstBusy = times[busy.findIndex((gpus) => gpus > 0)];
    element.dataset.samples = String(times.length);
    element.dataset.firstBusy = firstBusy === undefined ? "" : String(firstBusy);
    element.dataset.busyPeak = String(Math.max(0, ...busy));
    element.dataset.heldPeak = String(Math.max(0, ...held));
    return [times, busy, held.map((gpus, i) => Math.max(0, gpus - (busy[i] ?? 0)))];
  };
  const step = uPlot.paths.stepped?.({ align: 1 });
  const plot = new uPlot(
    {
      width: WIDTH,
      height: 200,
      scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      // Whole seconds at least: the history is kept to the second (a young lease's would tick every 0.5 s).
      axes: [{ incrs: TIME_STEPS }, { label: "GPUs" }],
      series: [
        {},
        { label: "busy", stroke: "#dc2626", width: 2, ...(step && { paths: step }) },
        { label: "free", stroke: "#16a34a", width: 2, ...(step && { paths: step }) },
      ],
    },
    data(times, busy, held),
    element,
  );
  return {
    element,
    destroy: () => plot.destroy(),
    update: (times, busy, held) => plot.setData(data(times, busy, held)),
  };
}

/** The time axis's tick spacings, in seconds. */
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400];

function padded(min: number, max: number): [number, number] {
  const pad = max > min ? (max - min) * 0.08 : Math.abs(max) * 0.1 || 1;
  return [min - pad, max + pad];
}
