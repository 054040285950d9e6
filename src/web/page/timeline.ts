import { fill, h } from "./dom.ts";
import type { Lane } from "./lanes.ts";

/** The lanes drawn as a chart: bars placed on one time axis from the first submit to the last planned end. */
export function timelineChart(lanes: Lane[]): HTMLElement {
  const bars = lanes.flatMap((l) => l.bars);
  if (bars.length === 0) return h("p", { class: "muted" }, "no segment yet");
  const from = Math.min(...bars.map((b) => b.from));
  const to = Math.max(...bars.map((b) => b.to), from + 1);
  const percent = (epoch: number) => `${(((epoch - from) / (to - from)) * 100).toFixed(3)}%`;
  const chart = h("div", { class: "timeline", id: "timeline" });
  for (const lane of lanes) {
    const track = h("div", { class: "track" });
    for (const bar of lane.bars) {
      const element = h("div", { class: `bar ${bar.kind}`, title: bar.title, "data-kind": bar.kind });
      // Positioned through the style object, which the page's CSP allows (a style attribute it would not).
      element.style.left = percent(bar.from);
      element.style.width = `max(2px, ${percent(bar.to - bar.from + from)})`;
      track.append(element);
    }
    chart.append(
      h("div", { class: "lane", "data-lane": lane.label }, h("span", { class: "lane-label" }, lane.label), track),
    );
  }
  const axis = h("div", { class: "axis" });
  fill(
    axis,
    h("span", {}, new Date(from * 1000).toLocaleTimeString()),
    h("span", {}, new Date(to * 1000).toLocaleTimeString()),
  );
  const legend = h(
    "div",
    { class: "legend" },
    (["queued", "running", "planned", "gap", "overlap"] as const).map((kind) =>
      h("span", {}, h("i", { class: `bar ${kind}` }), kind),
    ),
  );
  chart.append(axis, legend);
  return chart;
}
