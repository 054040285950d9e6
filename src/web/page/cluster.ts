import { racerLabel } from "../../allocator/racer-label.ts";
import type { WebCluster } from "../leases.ts";
import { fetchCluster } from "./api.ts";
import { fill, h } from "./dom.ts";
import { ago, duration } from "./format.ts";
import type { View } from "./view.ts";

type Cluster = WebCluster["clusters"][number];
type Race = Cluster["races"][number];

/**
 * The cluster: its GPUs per partition and type, free and planned (`rv resources`), and the allocator's last races
 * of its leases, each strategy kept and ranked or dropped with why (`rv lease show --alloc`). Read when the page
 * opens and on Refresh: five Slurm commands across ssh, not something to run every second.
 */
export function clusterView(): View {
  const body = h("div", { id: "clusters" }, h("p", { class: "muted" }, "reading the cluster…"));
  const note = h("span", { class: "muted" });
  const refresh = h("button", { onclick: () => read() }, "Refresh");

  function read(): void {
    refresh.disabled = true;
    note.textContent = "reading…";
    fetchCluster()
      .then((answer) => {
        note.textContent = `read ${new Date().toLocaleTimeString()}`;
        fill(
          body,
          answer.clusters.length
            ? answer.clusters.map(clusterSection)
            : h("p", { class: "muted" }, "no cluster is configured (rv init sets one up)"),
        );
      })
      .catch((error: Error) => {
        note.textContent = "";
        fill(body, h("p", { class: "bad" }, error.message));
      })
      .finally(() => {
        refresh.disabled = false;
      });
  }

  read();
  const element = h(
    "div",
    { class: "cluster" },
    h("a", { href: "#/", class: "back" }, "← all tasks"),
    h("div", { class: "title" }, h("h2", {}, "Cluster"), refresh, note),
    body,
  );
  return { element, update: () => {} };
}

function clusterSection(cluster: Cluster): HTMLElement {
  if (cluster.error) {
    return h("section", {}, h("h3", {}, cluster.where), h("p", { class: "bad" }, cluster.error));
  }
  const pools = cluster.resources?.pools ?? [];
  return h(
    "section",
    { "data-cluster": cluster.name },
    h("h3", {}, `GPUs of ${cluster.where}`),
    h(
      "table",
      { id: "pools" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ["partition", "type", "nodes", "total", "busy", "free", "planned", "down", "wanted", "most on a node"].map(
            (c) => h("th", {}, c),
          ),
        ),
      ),
      h(
        "tbody",
        {},
        pools.length
          ? pools.map((p) =>
              h(
                "tr",
                {},
                h("td", {}, p.partition),
                h("td", {}, p.type),
                [p.nodes, p.total, p.allocated].map((n) => h("td", { class: "num" }, String(n))),
                h("td", { class: p.idle > 0 ? "num good" : "num" }, String(p.idle)),
                [p.planned, p.unavailable, p.pendingDemand, p.maxFreeOnOneNode].map((n) =>
                  h("td", { class: "num" }, String(n)),
                ),
              ),
            )
          : h("tr", {}, h("td", { colspan: "10", class: "muted" }, "no GPU partition")),
      ),
    ),
    h("h3", {}, "The allocator's last races"),
    cluster.races.length ? cluster.races.map(raceSection) : h("p", { class: "muted" }, "no Slurm lease has raced"),
  );
}

function raceSection(race: Race): HTMLElement {
  const rowOf = new Map(race.rows.map((r) => [r.strategyId, r]));
  const winner = race.winner ? `won by ${race.winner.strategyId} (job ${race.winner.jobId})` : "no winner yet";
  return h(
    "div",
    { class: "race", "data-race": race.lease },
    h("h4", {}, `lease ${race.lease} · race ${race.attempt}, ${ago(race.startedAt, Date.now())} · ${winner}`),
    h(
      "table",
      {},
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ["rank", "strategy", "partition", "start (estimate)", "in the race", "why"].map((c) => h("th", {}, c)),
        ),
      ),
      h(
        "tbody",
        {},
        race.candidates.map((c) => {
          const row = rowOf.get(c.strategy.id);
          const start = c.estimate
            ? `${new Date(c.estimate.startEpoch * 1000).toLocaleString()} (${c.estimate.basis}, ${duration(c.estimate.grantedSeconds)})`
            : "";
          return h(
            "tr",
            { class: c.kept ? "kept" : "dropped" },
            h("td", {}, c.rank === null ? "dropped" : String(c.rank)),
            h("td", { class: "mono" }, c.strategy.id),
            h("td", {}, c.strategy.partition),
            h("td", {}, start),
            h("td", {}, row ? `${row.state}${row.jobId ? ` · job ${row.jobId}` : ""}` : ""),
            h("td", {}, c.why),
          );
        }),
        race.rows.filter((r) => r.parts || !race.candidates.some((c) => c.strategy.id === r.strategyId)).map(partRow),
      ),
    ),
  );
}

/**
 * In a race of shapes each job has a row of its own: a part's strategy is one part's, and the whole lease's may be
 * spread over partitions, neither of which the whole lease's decision lists.
 */
function partRow(row: Race["rows"][number]): HTMLElement {
  return h(
    "tr",
    { class: "kept" },
    h("td", {}, String(row.rank)),
    h("td", { class: "mono" }, racerLabel(row)),
    h("td", {}, ""),
    h("td", {}, row.startEpoch === null ? "" : new Date(row.startEpoch * 1000).toLocaleString()),
    h("td", {}, `${row.state}${row.jobId ? ` · job ${row.jobId}` : ""}`),
    h("td", {}, row.reason ?? ""),
  );
}
