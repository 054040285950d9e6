import { plural } from "../../plural.ts";
import type { WebSnapshot, WebSweepMetrics } from "../schema.ts";
import { act, actOnLease } from "./api.ts";
import { clusterView } from "./cluster.ts";
import { confirmAction } from "./confirm.ts";
import { dashboardView, filterHref, filterOf, type TaskFilter } from "./dashboard.ts";
import { byId, fill, h, refill } from "./dom.ts";
import { ago } from "./format.ts";
import { type GpuSamples, leaseView, type SubmitAsk } from "./lease.ts";
import { sweepView } from "./sweep.ts";
import { type LogStream, taskView } from "./task.ts";
import type { TaskRow, View } from "./view.ts";

/**
 * The page of `rv ui`: one event stream brings every refresh (and the followed log, or the charted sweep's
 * metrics); the route picks the view: `#/` (its filters after a `?`), `#/task/ID`, `#/sweep/ID`,
 * `#/lease/PLACE/ID`, `#/cluster`.
 */
type Route =
  | { kind: "tasks"; filter: TaskFilter }
  | { kind: "task"; id: string }
  | { kind: "sweep"; id: string }
  | { kind: "lease"; place: string; id: string }
  | { kind: "cluster" };

type PageView = View & {
  showLog?: ReturnType<typeof taskView>["showLog"];
  showSweep?: (metrics: WebSweepMetrics) => void;
};

const page = {
  snapshot: null as WebSnapshot | null,
  view: null as PageView | null,
  events: null as EventSource | null,
  eventsUrl: "",
  stream: "stdout" as LogStream,
  connection: "connecting" as "connecting" | "live" | "lost",
  /** Snapshots received: the page's `data-snapshots`, which tests wait on to know a refresh has come. */
  snapshots: 0,
  message: "",
  /** Each lease's GPUs on every refresh since the page opened, for its GPU chart (the newest HISTORY samples). */
  gpus: new Map<string, GpuSamples>(),
};

const HISTORY = 3600;

function routeOf(hash: string): Route {
  const mark = hash.indexOf("?");
  const path = mark < 0 ? hash : hash.slice(0, mark);
  const [, kind, ...rest] = path.split("/").map(decodeURIComponent);
  if (kind === "task" && rest[0]) return { kind: "task", id: rest[0] };
  if (kind === "sweep" && rest[0]) return { kind: "sweep", id: rest[0] };
  if (kind === "lease" && rest[0] && rest[1]) return { kind: "lease", place: rest[0], id: rest[1] };
  if (kind === "cluster") return { kind: "cluster" };
  return { kind: "tasks", filter: filterOf(mark < 0 ? "" : hash.slice(mark + 1)) };
}

function viewOf(route: Route): PageView {
  switch (route.kind) {
    case "task":
      return taskView(route.id, {
        stream: page.stream,
        onStream: (stream) => {
          page.stream = stream;
          show();
        },
        onAction: (task, action) => void confirmThenAct(task, action),
      });
    case "sweep":
      return sweepView(route.id);
    case "lease":
      return leaseView(route.place, route.id, {
        samples: () => page.gpus.get(`${route.place}/${route.id}`) ?? { times: [], busy: [], held: [] },
        onRelease: (lease, now) => void confirmRelease(lease, now),
        onSubmit: (lease, ask) => void confirmSubmit(lease, ask),
      });
    case "cluster":
      return clusterView();
    case "tasks":
      // The filter goes into the address as it changes, without a hashchange: the view stays, its inputs focused.
      return dashboardView(route.filter, (filter) => history.replaceState(null, "", filterHref(filter)));
  }
}

function show(): void {
  const route = routeOf(location.hash);
  page.view = viewOf(route);
  fill(byId("view"), page.view.element);
  if (page.snapshot) page.view.update(page.snapshot, Date.now());
  const query =
    route.kind === "task"
      ? `?log=${encodeURIComponent(route.id)}&stream=${page.stream}`
      : route.kind === "sweep"
        ? `?sweep=${encodeURIComponent(route.id)}`
        : "";
  connect(`/api/events${query}`);
}

/** One stream per page; it is opened again only when what it follows (a log, a sweep) changes. */
function connect(url: string): void {
  if (url === page.eventsUrl && page.events) return;
  page.events?.close();
  page.eventsUrl = url;
  const events = new EventSource(url);
  page.events = events;
  events.addEventListener("snapshot", (event) => {
    page.snapshot = JSON.parse((event as MessageEvent).data) as WebSnapshot;
    page.connection = "live";
    document.documentElement.dataset.snapshots = String(++page.snapshots);
    remember(page.snapshot);
    header();
    page.view?.update(page.snapshot, Date.now());
  });
  events.addEventListener("log", (event) => page.view?.showLog?.(JSON.parse((event as MessageEvent).data)));
  events.addEventListener("sweep", (event) => page.view?.showSweep?.(JSON.parse((event as MessageEvent).data)));
  events.addEventListener("error", () => {
    page.connection = events.readyState === EventSource.CLOSED ? "lost" : "connecting";
    header();
  });
}

/** Every lease's GPUs busy and free at this refresh, for the GPU charts. */
function remember(snapshot: WebSnapshot): void {
  const at = Math.floor(Date.parse(snapshot.at) / 1000);
  for (const lease of snapshot.leases) {
    const key = `${lease.place}/${lease.id}`;
    const samples = page.gpus.get(key) ?? { times: [], busy: [], held: [] };
    if (samples.times.at(-1) === at) continue;
    samples.times.push(at);
    samples.busy.push(lease.gpus.busy);
    samples.held.push(lease.gpus.busy + lease.gpus.free);
    if (samples.times.length > HISTORY) for (const series of Object.values(samples)) series.shift();
    page.gpus.set(key, samples);
  }
}

async function confirmThenAct(task: TaskRow, action: "cancel" | "requeue"): Promise<void> {
  const what = `${task.id}${task.name ? ` (${task.name})` : ""}`;
  const detail =
    action === "cancel"
      ? task.state === "running"
        ? "It is stopped: SIGTERM to its process group, then SIGKILL after the grace period."
        : "It never starts."
      : "It runs again as its next attempt.";
  const yes = await confirmAction(
    `${action === "cancel" ? "Cancel" : "Requeue"} task ${what}?`,
    detail,
    action === "cancel" ? "Cancel task" : "Requeue task",
  );
  await run(`${action} of ${what}`, yes, async () => (await act(task.id, action)).outcome);
}

async function confirmRelease(lease: { place: string; id: string; kind: string }, now: boolean): Promise<void> {
  const what = `${lease.place === "local" ? "" : `${lease.place}:`}${lease.id}`;
  const detail = now
    ? "Its running tasks are stopped now and go back to its inbox; its runners exit."
    : "Running tasks finish first (drain); no new task starts; its runners then exit.";
  const slurm = lease.kind === "slurm" ? " Its Slurm jobs are cancelled once it is over: its GPUs go back." : "";
  const yes = await confirmAction(`Release lease ${what}${now ? " now" : ""}?`, `${detail}${slurm}`, "Release lease");
  await run(
    `release of ${what}`,
    yes,
    async () => (await actOnLease(lease.place, lease.id, "release", { now })).outcome,
  );
}

async function confirmSubmit(lease: { place: string; id: string }, ask: SubmitAsk): Promise<void> {
  const what = `${lease.place === "local" ? "" : `${lease.place}:`}${lease.id}`;
  const needs = `${plural(ask.gpus, "GPU")}, ${plural(ask.cpus, "CPU")}`;
  const yes = await confirmAction(
    `Submit to lease ${what}?`,
    `${ask.shell}${ask.name ? ` (as ${ask.name})` : ""}: ${needs}, run by sh -c like rv submit --shell.`,
    "Submit task",
  );
  const body = { shell: ask.shell, gpus: ask.gpus, cpus: ask.cpus, ...(ask.name && { name: ask.name }) };
  await run(`submit to ${what}`, yes, async () => (await actOnLease(lease.place, lease.id, "submit", body)).outcome);
}

/** An action confirmed (or not), said in the header as it goes. */
async function run(what: string, confirmed: boolean, action: () => Promise<string>): Promise<void> {
  if (!confirmed) {
    say(`${what}: not done`);
    return;
  }
  say(`${what}…`);
  try {
    say(`${what}: ${await action()}`);
  } catch (error) {
    say(`${what} failed: ${(error as Error).message}`);
  }
}

function say(message: string): void {
  page.message = message;
  header();
}

function header(): void {
  const snapshot = page.snapshot;
  const count = (state: string) => snapshot?.tasks.filter((t) => t.state === state).length ?? 0;
  const places = (snapshot?.places ?? []).map((p) =>
    h(
      "span",
      { class: p.error ? "place bad" : "place", title: p.where },
      p.error ? `${p.name}: ${p.error}` : `${p.name} ${ago(p.lastOkAt, Date.now())}`,
    ),
  );
  const connection =
    page.connection === "lost"
      ? h(
          "span",
          { class: "place bad" },
          "disconnected: rv ui stopped, or runs with a new token (open the URL it printed)",
        )
      : page.connection === "connecting"
        ? h("span", { class: "place wait" }, "connecting…")
        : null;
  const cluster = snapshot?.places.some((p) => p.kind === "cluster") ? h("a", { href: "#/cluster" }, "cluster") : null;
  refill(
    byId("top"),
    h("a", { href: "#/", class: "brand" }, "rv"),
    h(
      "span",
      { class: "counts" },
      `${plural(snapshot?.leases.length ?? 0, "lease")} · ${count("running")} running · ${count("pending")} pending`,
    ),
    cluster,
    places,
    connection,
    h("span", { id: "message", role: "status" }, page.message),
  );
}

addEventListener("hashchange", show);
header();
show();
