import { isLiveRunner, isQueued, isTerminal, type TaskView } from "../../lease/index.ts";
import { hasTags } from "../../ops/select.ts";
import type { TuiSnapshot } from "../../ops/tui-snapshot.ts";
import type { TaskAction } from "./action.ts";

/** The task filters `F` cycles through, in order. */
export const FILTERS = ["recent", "all", "running", "pending", "done", "failed", "stuck"] as const;
export type TaskFilter = (typeof FILTERS)[number];

export type MenuItem = "logs" | TaskAction;

/** What the keys are doing now: moving about, typing a search or a command, choosing, confirming, reading help. */
export type Mode =
  | { kind: "browse" }
  | { kind: "search"; draft: string }
  | { kind: "add"; lease: string; draft: string }
  | { kind: "menu"; task: TaskView; items: MenuItem[]; index: number }
  | { kind: "confirm"; action: TaskAction; task: TaskView }
  | { kind: "help" };

export interface TuiState {
  focus: "leases" | "tasks";
  /** The selected lease; null: every lease's tasks. */
  leaseId: string | null;
  taskId: string | null;
  filter: TaskFilter;
  search: string;
  /** `rv tui --tag T`: only tasks with every one of these tags. */
  tags: string[];
  mode: Mode;
  pane: "detail" | "logs";
  stream: "stdout" | "stderr";
  follow: boolean;
  zoom: boolean;
  /** Log lines scrolled up from the end (0 while following). */
  scroll: number;
  /** What the last action did, or why it could not. */
  message: string | null;
}

export const INITIAL_STATE: TuiState = {
  focus: "tasks",
  leaseId: null,
  taskId: null,
  filter: "recent",
  search: "",
  tags: [],
  mode: { kind: "browse" },
  pane: "detail",
  stream: "stdout",
  follow: true,
  zoom: false,
  scroll: 0,
  message: null,
};

/** How many finished tasks `recent` keeps besides every unfinished one. */
export const RECENT_FINISHED = 20;

/**
 * A task that will not move by itself: lost (its runner died holding it), running under a runner that has stopped
 * beating, or pending while it asks for more than any runner of its lease has (a task larger than a part). These
 * stand out in every filter, and `stuck` shows only them.
 */
export function isStuck(task: TaskView, snapshot: TuiSnapshot): boolean {
  if (task.state === "lost") return true;
  if (task.state === "pending") return snapshot.leases.some((l) => l.id === task.lease && l.tooLarge.includes(task.id));
  if (task.state !== "running") return false;
  const runner = snapshot.leases.flatMap((l) => l.runners).find((r) => r.id === task.runner);
  return runner !== undefined && !isLiveRunner(runner);
}

/** The tasks the table shows, newest first: the lease, the tags, the filter and the search (names, ids, tags) applied. */
export function visibleTasks(
  snapshot: TuiSnapshot,
  state: Pick<TuiState, "leaseId" | "filter" | "search"> & Partial<Pick<TuiState, "tags">>,
): TaskView[] {
  const search = state.search.toLowerCase();
  const chosen = snapshot.tasks
    .filter((t) => (state.leaseId === null || t.lease === state.leaseId) && hasTags(t, state.tags ?? []))
    .filter((t) => !search || `${t.name ?? ""} ${t.id} ${t.tags.join(" ")}`.toLowerCase().includes(search))
    .sort((a, b) => b.submittedAt.localeCompare(a.submittedAt));
  switch (state.filter) {
    case "all":
      return chosen;
    case "recent": {
      const finished = chosen.filter((t) => isTerminal(t.state)).slice(0, RECENT_FINISHED);
      return chosen.filter((t) => !isTerminal(t.state) || finished.includes(t));
    }
    case "pending":
      return chosen.filter((t) => isQueued(t.state));
    case "done":
      return chosen.filter((t) => t.state === "succeeded");
    case "failed":
      return chosen.filter((t) => t.state !== "succeeded" && isTerminal(t.state));
    case "stuck":
      return chosen.filter((t) => isStuck(t, snapshot));
    default:
      return chosen.filter((t) => t.state === state.filter);
  }
}

/** The actions a task's menu offers: logs always; cancel while it may run; requeue a running or lost one; retry a finished one. */
export function menuFor(task: TaskView): MenuItem[] {
  if (isTerminal(task.state)) return ["logs", "retry"];
  if (isQueued(task.state)) return ["logs", "cancel"];
  return ["logs", "cancel", "requeue"];
}

/** The selected task: the one chosen if it is still shown, else the first shown. */
export function selectedTask(state: TuiState, snapshot: TuiSnapshot | null): TaskView | undefined {
  if (!snapshot) return undefined;
  const rows = visibleTasks(snapshot, state);
  return rows.find((t) => t.id === state.taskId) ?? rows[0];
}

/** Where `a` adds a task: the selected lease, else the only active one. */
export function addTarget(state: TuiState, snapshot: TuiSnapshot | null): string | null {
  const active = snapshot?.leases.filter((l) => l.state === "active") ?? [];
  if (state.leaseId !== null) return active.some((l) => l.id === state.leaseId) ? state.leaseId : null;
  return active.length === 1 ? (active[0]?.id ?? null) : null;
}
