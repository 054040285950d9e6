import type { WebSnapshot } from "../schema.ts";
import { act } from "./api.ts";
import { confirmAction } from "./confirm.ts";
import { dashboardView } from "./dashboard.ts";
import { byId, fill, h } from "./dom.ts";
import { ago } from "./format.ts";
import { type LogStream, taskView } from "./task.ts";
import type { TaskRow, View } from "./view.ts";

/**
 * The page of `rv ui`: one event stream brings every refresh (and the followed log); the route (`#/`, `#/task/ID`)
 * picks the view. Later pages (a sweep's chart, the cluster, a lease's segments) are more routes.
 */
type Route = { kind: "tasks" } | { kind: "task"; id: string };

const page = {
  snapshot: null as WebSnapshot | null,
  view: null as (View & { showLog?: ReturnType<typeof taskView>["showLog"] }) | null,
  events: null as EventSource | null,
  eventsUrl: "",
  stream: "stdout" as LogStream,
  connection: "connecting" as "connecting" | "live" | "lost",
  message: "",
};

function routeOf(hash: string): Route {
  const task = /^#\/task\/(.+)$/.exec(hash)?.[1];
  return task ? { kind: "task", id: decodeURIComponent(task) } : { kind: "tasks" };
}

function show(): void {
  const route = routeOf(location.hash);
  page.view =
    route.kind === "task"
      ? taskView(route.id, {
          stream: page.stream,
          onStream: (stream) => {
            page.stream = stream;
            show();
          },
          onAction: (task, action) => void confirmThenAct(task, action),
        })
      : dashboardView();
  fill(byId("view"), page.view.element);
  if (page.snapshot) page.view.update(page.snapshot, Date.now());
  const log = route.kind === "task" ? `?log=${encodeURIComponent(route.id)}&stream=${page.stream}` : "";
  connect(`/api/events${log}`);
}

/** One stream per page; it is opened again only when the followed log changes. */
function connect(url: string): void {
  if (url === page.eventsUrl && page.events) return;
  page.events?.close();
  page.eventsUrl = url;
  const events = new EventSource(url);
  page.events = events;
  events.addEventListener("snapshot", (event) => {
    page.snapshot = JSON.parse((event as MessageEvent).data) as WebSnapshot;
    page.connection = "live";
    header();
    page.view?.update(page.snapshot, Date.now());
  });
  events.addEventListener("log", (event) => page.view?.showLog?.(JSON.parse((event as MessageEvent).data)));
  events.addEventListener("error", () => {
    page.connection = events.readyState === EventSource.CLOSED ? "lost" : "connecting";
    header();
  });
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
  if (!yes) {
    say(`${action} of ${what}: not done`);
    return;
  }
  say(`${action} ${what}…`);
  try {
    say(`${action} ${what}: ${(await act(task.id, action)).outcome}`);
  } catch (error) {
    say(`${action} ${what} failed: ${(error as Error).message}`);
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
  fill(
    byId("top"),
    h("a", { href: "#/", class: "brand" }, "rv"),
    h(
      "span",
      { class: "counts" },
      `${plural(snapshot?.leases.length ?? 0, "lease")} · ${count("running")} running · ${count("pending")} pending`,
    ),
    places,
    connection,
    h("span", { id: "message", role: "status" }, page.message),
  );
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

addEventListener("hashchange", show);
header();
show();
