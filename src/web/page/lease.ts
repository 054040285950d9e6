import type { LeaseGpus } from "../../ops/lease-gpus.ts";
import type { WebLeaseShow } from "../leases.ts";
import type { WebLease, WebSnapshot } from "../schema.ts";
import { fetchLease, fetchLeaseGpus } from "./api.ts";
import { type GpuChart, gpuChart } from "./chart.ts";
import { emptyRow, fill, h, refill, table } from "./dom.ts";
import { duration } from "./format.ts";
import { type GpuHistory, gpuHistory, heldGpus } from "./gpu-history.ts";
import { segmentLanes } from "./lanes.ts";
import { timelineChart } from "./timeline.ts";
import type { View } from "./view.ts";

/** A lease's GPUs busy and held as the page saw them on each refresh (epoch seconds), since it opened. */
export interface GpuSamples {
  times: number[];
  busy: number[];
  held: number[];
}

export interface SubmitAsk {
  shell: string;
  name: string;
  gpus: number;
  cpus: number;
}

export interface LeaseViewHooks {
  /** The refreshes' GPUs, appended to the history the server last sent: the chart moves on between its reads. */
  samples(): GpuSamples;
  onRelease(lease: WebLease, now: boolean): void;
  onSubmit(lease: WebLease, ask: SubmitAsk): void;
}

/** How often the lease is looked at as `rv lease show` looks (a Slurm lease: squeue and sacct across ssh). */
const SHOW_EVERY_MS = 5000;

/** How often its GPU history is read again: a day of attempts; each refresh's GPUs are appended meanwhile. */
const GPUS_EVERY_MS = 60_000;

/**
 * One lease: where it stands, its runners, its GPUs busy and free over time, a Slurm lease's segments on a
 * timeline (queued, running, renewal gaps and overlaps); release it, or submit a command line to it.
 */
export function leaseView(place: string, id: string, hooks: LeaseViewHooks): View {
  const title = h("h2", {}, id);
  const facts = h("dl", { class: "facts" });
  const runners = h("tbody");
  const gpuBox = h("div", { id: "gpu-chart" });
  const timelineBox = h("div", { id: "segments" }, h("p", { class: "muted" }, "loading…"));
  const actions = h("div", { class: "actions" });
  let lease: WebLease | null = null;
  let gpu: GpuChart | null = null;
  let drawn = "";
  /** The lease as `rv lease show` last showed it, and its GPUs busy over its last day as last read. */
  let shown: WebLeaseShow | null = null;
  let busyRead: LeaseGpus | null = null;
  /** Both on one time axis: busy, and what the lease held (from what it shows); `histories` counts them. */
  let history: GpuHistory | null = null;
  let histories = 0;
  let historyError: string | null = null;
  let shownAt = 0;
  let showing = false;
  let gpusAt = 0;
  let readingGpus = false;

  const field = (name: string, attributes: Record<string, string>) =>
    h("input", { name, "aria-label": name, ...attributes });
  const command = field("command", { placeholder: "command line, as rv submit --shell takes it", class: "wide" });
  const name = field("name", { placeholder: "name (optional)" });
  const gpus = field("gpus", { type: "number", min: "0", value: "0", class: "narrow" });
  const cpus = field("cpus", { type: "number", min: "1", value: "1", class: "narrow" });
  const form = h(
    "form",
    {
      class: "submit",
      id: "submit",
      onsubmit: (event) => {
        event.preventDefault();
        if (!lease || !command.value.trim()) return;
        hooks.onSubmit(lease, {
          shell: command.value.trim(),
          name: name.value.trim(),
          gpus: Number(gpus.value) || 0,
          cpus: Math.max(1, Number(cpus.value) || 1),
        });
      },
    },
    command,
    name,
    h("label", {}, "GPUs ", gpus),
    h("label", {}, "CPUs ", cpus),
    h("button", { type: "submit" }, "Submit"),
  );

  function lookAtGpus(): void {
    if (readingGpus || Date.now() - gpusAt < GPUS_EVERY_MS) return;
    readingGpus = true;
    fetchLeaseGpus(place, id)
      .then((read) => {
        busyRead = read.gpus;
        historyError = null;
        combine();
      })
      .catch((error: Error) => {
        historyError = error.message;
      })
      .finally(() => {
        readingGpus = false;
        gpusAt = Date.now();
        drawGpus();
      });
  }

  /** What the lease held, from what it shows, on one time axis with what was busy, once both have come. */
  function combine(): void {
    history = shown && busyRead && gpuHistory(shown.show, busyRead);
    histories++;
  }

  function look(): void {
    if (showing || Date.now() - shownAt < SHOW_EVERY_MS) return;
    showing = true;
    fetchLease(place, id)
      .then((show) => {
        shown = show;
        combine();
        drawSegments(show);
        drawGpus();
      })
      .catch((error: Error) => fill(timelineBox, h("p", { class: "bad" }, error.message)))
      .finally(() => {
        showing = false;
        shownAt = Date.now();
      });
  }

  function drawSegments(show: WebLeaseShow): void {
    const slurm = show.show.slurm;
    if (!slurm) {
      fill(timelineBox, h("p", { class: "muted" }, "a lease of this machine: no Slurm segments"));
      return;
    }
    fill(timelineBox, timelineChart(segmentLanes(slurm.segments, Math.floor(Date.now() / 1000))));
  }

  function update(snapshot: WebSnapshot): void {
    lease = snapshot.leases.find((l) => l.place === place && l.id === id) ?? null;
    if (!lease) {
      refill(facts, h("p", { class: "muted" }, `lease ${id} is not shown (released and done, or not of ${place})`));
      refill(actions);
      return;
    }
    const kind = lease.kind === "slurm" ? `a Slurm lease of ${place}` : "a lease of this machine";
    title.replaceChildren(`lease ${place === "local" ? "" : `${place}:`}${id} `, h("span", { class: "muted" }, kind));
    const rows: [string, string][] = [
      ["state", lease.state],
      ["phase", lease.phase ?? ""],
      ["GPUs", `${lease.gpus.busy} busy · ${lease.gpus.free} free`],
      ["time left", lease.timeLeftSeconds === null ? "" : duration(lease.timeLeftSeconds)],
      ["last renewal gap", lease.renewalGapSeconds === null ? "" : `${lease.renewalGapSeconds}s`],
    ];
    refill(
      facts,
      rows.filter(([, v]) => v).flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]),
    );
    refill(
      runners,
      lease.runners.length
        ? lease.runners.map((r) =>
            h(
              "tr",
              { "data-runner": r.id },
              h("td", { class: "mono" }, r.id),
              h("td", {}, r.host),
              h("td", {}, h("span", { class: `health ${r.health}` }, r.health)),
              h("td", {}, String(r.running)),
            ),
          )
        : emptyRow(4, "no runner"),
    );
    const active = lease.state === "active";
    const release = (now: boolean) => () => lease && hooks.onRelease(lease, now);
    refill(
      actions,
      active && h("button", { onclick: release(false) }, "Release"),
      active && h("button", { class: "danger", onclick: release(true) }, "Release now"),
    );
    form.hidden = !active;
    drawGpus();
    look();
    lookAtGpus();
  }

  /** The server's history, then the samples of the refreshes since it was read; drawn again when they change. */
  function drawGpus(): void {
    const live = hooks.samples();
    const until = history?.times.at(-1) ?? Number.NEGATIVE_INFINITY;
    const from = live.times.findIndex((time) => time > until);
    const newer = (series: number[]) => (from < 0 ? [] : series.slice(from));
    const times = [...(history?.times ?? []), ...newer(live.times)];
    const busy = [...(history?.busy ?? []), ...newer(live.busy)];
    const held = [...(history?.held ?? []), ...newer(live.held)];
    const none = shown !== null && heldGpus(shown.show) === 0;
    const key = `${histories}/${none}/${historyError}/${times.length}/${times.at(-1)}/${busy.at(-1)}/${held.at(-1)}`;
    if (key === drawn) return;
    drawn = key;
    if (none) {
      gpu?.destroy();
      gpu = null;
      fill(gpuBox, h("p", { class: "muted" }, "no GPU in this lease: its runners run CPU tasks"));
      return;
    }
    if (gpu) gpu.update(times, busy, held);
    else gpu = gpuChart(times, busy, held);
    const note = historyError && h("p", { class: "bad" }, `its history could not be read: ${historyError}`);
    refill(gpuBox, note, gpu.element);
  }

  const element = h(
    "div",
    { class: "lease" },
    h("a", { href: "#/", class: "back" }, "← all tasks"),
    h("div", { class: "title" }, title, actions),
    facts,
    h("h3", {}, "Segments"),
    timelineBox,
    h("h3", {}, "GPUs busy and free, over the last 24 hours"),
    gpuBox,
    h("h3", {}, "Runners"),
    table(["runner", "host", "health", "running"], runners, "runners"),
    h("h3", {}, "Submit a task"),
    form,
  );
  return { element, update };
}
