import type { TaskView } from "../../lease/index.ts";
import type { TuiSnapshot } from "../../ops/tui-snapshot.ts";
import type { TaskAction } from "./action.ts";
import { addTarget, FILTERS, type Mode, menuFor, selectedTask, type TuiState, visibleTasks } from "./state.ts";

/** A key as the reducer sees it: the printable input, or the name of a special key. */
export interface Key {
  input: string;
  name?: "up" | "down" | "left" | "right" | "enter" | "escape" | "backspace" | "pageUp" | "pageDown" | "tab";
}

/** What the container does for a key besides drawing the new state. */
export type Effect =
  | { kind: "quit" }
  | { kind: "act"; action: TaskAction; task: TaskView }
  | { kind: "add"; lease: string; command: string };

export interface Step {
  state: TuiState;
  effect: Effect | null;
}

/** The flags Ink sets on a key it recognised (its `Key`, of which only these matter here). */
type InkKey = Partial<
  Record<
    | "upArrow"
    | "downArrow"
    | "leftArrow"
    | "rightArrow"
    | "return"
    | "escape"
    | "backspace"
    | "delete"
    | "pageUp"
    | "pageDown"
    | "tab"
    | "meta",
    boolean
  >
>;

const NAMED: [keyof InkKey, NonNullable<Key["name"]>][] = [
  ["upArrow", "up"],
  ["downArrow", "down"],
  ["leftArrow", "left"],
  ["rightArrow", "right"],
  ["return", "enter"],
  ["escape", "escape"],
  ["backspace", "backspace"],
  ["delete", "backspace"],
  ["pageUp", "pageUp"],
  ["pageDown", "pageDown"],
  ["tab", "tab"],
];

/**
 * Ink hands over what one read of the terminal returned: keys typed faster than a refresh (or pasted) arrive
 * as one string, which is split back into keys here (a carriage return is Enter, DEL Backspace, other control
 * characters are dropped). Escape and the next key read together reach Ink as that key with meta: both here.
 */
export function keysOf(input: string, key: InkKey): Key[] {
  const named = NAMED.find(([flag]) => key[flag] === true)?.[1];
  if (named) return [{ input, name: named }];
  const typed = [...input].flatMap((char): Key[] => {
    if (char === "\r") return [{ input: "", name: "enter" }];
    if (char === "\x7f" || char === "\b") return [{ input: "", name: "backspace" }];
    return char < " " ? [] : [{ input: char }];
  });
  return key.meta ? [{ input: "", name: "escape" }, ...typed] : typed;
}

/** Lines a page key moves. */
const PAGE = 10;

/**
 * The TUI's keys, as one pure function of the state and what is on screen. Every destructive action goes
 * through a confirmation; typing modes take every printable key as text.
 */
export function reduceKey(state: TuiState, key: Key, snapshot: TuiSnapshot | null): Step {
  const none = (next: TuiState): Step => ({ state: { ...next, message: null }, effect: null });
  switch (state.mode.kind) {
    case "help":
      return none({ ...state, mode: { kind: "browse" } });
    case "search":
      return typing(
        state,
        key,
        state.mode.draft,
        (draft) => ({ kind: "search", draft }),
        (draft) => ({
          state: { ...state, search: draft, taskId: null, mode: { kind: "browse" } },
          effect: null,
        }),
      );
    case "add": {
      const { lease } = state.mode;
      return typing(
        state,
        key,
        state.mode.draft,
        (draft) => ({ kind: "add", lease, draft }),
        (draft) =>
          draft.trim()
            ? { state: { ...state, mode: { kind: "browse" } }, effect: { kind: "add", lease, command: draft.trim() } }
            : none({ ...state, mode: { kind: "browse" } }),
      );
    }
    case "menu":
      return menuKey(state, key, state.mode);
    case "confirm": {
      const { action, task } = state.mode;
      if (key.input === "y" || key.input === "Y")
        return { state: { ...state, mode: { kind: "browse" } }, effect: { kind: "act", action, task } };
      return {
        state: { ...state, mode: { kind: "browse" }, message: `${action} of ${task.id}: not done` },
        effect: null,
      };
    }
    default:
      return browseKey(state, key, snapshot);
  }
}

function typing(
  state: TuiState,
  key: Key,
  draft: string,
  mode: (draft: string) => TuiState["mode"],
  submit: (draft: string) => Step,
): Step {
  if (key.name === "escape") return { state: { ...state, mode: { kind: "browse" } }, effect: null };
  if (key.name === "enter") return submit(draft);
  if (key.name === "backspace") return { state: { ...state, mode: mode(draft.slice(0, -1)) }, effect: null };
  if (key.name || !key.input) return { state, effect: null };
  return { state: { ...state, mode: mode(draft + key.input) }, effect: null };
}

function menuKey(state: TuiState, key: Key, menu: Extract<Mode, { kind: "menu" }>): Step {
  const browse = { ...state, mode: { kind: "browse" } as const };
  const move = (by: number) => ({
    state: { ...state, mode: { ...menu, index: Math.min(menu.items.length - 1, Math.max(0, menu.index + by)) } },
    effect: null,
  });
  if (key.name === "escape" || key.input === "q") return { state: browse, effect: null };
  if (key.name === "up" || key.input === "k") return move(-1);
  if (key.name === "down" || key.input === "j") return move(1);
  if (key.name !== "enter") return { state, effect: null };
  const item = menu.items[menu.index];
  if (item === "logs" || !item) return { state: { ...browse, pane: "logs", follow: true, scroll: 0 }, effect: null };
  return { state: { ...state, mode: { kind: "confirm", action: item, task: menu.task } }, effect: null };
}

function browseKey(state: TuiState, key: Key, snapshot: TuiSnapshot | null): Step {
  const next = (change: Partial<TuiState>): Step => ({ state: { ...state, ...change, message: null }, effect: null });
  const up = key.name === "up" || key.input === "k";
  const down = key.name === "down" || key.input === "j";
  if (up || down || key.name === "pageUp" || key.name === "pageDown") {
    const by = (up ? -1 : down ? 1 : 0) + (key.name === "pageUp" ? -PAGE : key.name === "pageDown" ? PAGE : 0);
    if (state.zoom && state.pane === "logs") {
      const scroll = Math.max(0, state.scroll - by);
      return next({ scroll, follow: scroll === 0 });
    }
    return next(
      state.focus === "leases"
        ? { leaseId: moveLease(state, snapshot, by), taskId: null }
        : { taskId: moveTask(state, snapshot, by) },
    );
  }
  if (key.name === "left" || key.input === "h") return next({ focus: "leases" });
  if (key.name === "right" || key.input === "l" || key.name === "tab")
    return next({ focus: key.name === "tab" && state.focus === "tasks" ? "leases" : "tasks" });
  if (key.name === "escape") return next({ pane: "detail", zoom: false, scroll: 0, follow: true });
  if (key.name === "enter") {
    if (state.focus === "leases") return next({ focus: "tasks" });
    // The menu keeps its task, and the table its row: a refresh that brings a newer task to the top moves neither.
    const task = selectedTask(state, snapshot);
    return task ? next({ taskId: task.id, mode: { kind: "menu", task, items: menuFor(task), index: 0 } }) : next({});
  }
  switch (key.input) {
    case "q":
      return { state, effect: { kind: "quit" } };
    case "?":
      return next({ mode: { kind: "help" } });
    case "/":
      return next({ mode: { kind: "search", draft: state.search } });
    case "a": {
      const lease = addTarget(state, snapshot);
      return lease
        ? next({ mode: { kind: "add", lease, draft: "" } })
        : { state: { ...state, message: whyNoTarget(snapshot) }, effect: null };
    }
    case "F":
      return next({ filter: FILTERS[(FILTERS.indexOf(state.filter) + 1) % FILTERS.length], taskId: null });
    case "z":
      return next({ zoom: !state.zoom });
    case "f":
      return next({ pane: "logs", follow: !(state.pane === "logs" && state.follow), scroll: 0 });
    case "e":
      return next({ pane: "logs", stream: state.stream === "stdout" ? "stderr" : "stdout", scroll: 0 });
    default:
      return { state, effect: null };
  }
}

function moveTask(state: TuiState, snapshot: TuiSnapshot | null, by: number): string | null {
  if (!snapshot) return state.taskId;
  const rows = visibleTasks(snapshot, state);
  const at = Math.max(
    0,
    rows.findIndex((t) => t.id === state.taskId),
  );
  return rows[Math.min(rows.length - 1, Math.max(0, at + by))]?.id ?? null;
}

/** Leases in the pane, after "all leases" (null). */
function moveLease(state: TuiState, snapshot: TuiSnapshot | null, by: number): string | null {
  const ids: (string | null)[] = [null, ...(snapshot?.leases.map((l) => l.id) ?? [])];
  const at = Math.max(0, ids.indexOf(state.leaseId));
  return ids[Math.min(ids.length - 1, Math.max(0, at + by))] ?? null;
}

function whyNoTarget(snapshot: TuiSnapshot | null): string {
  const active = snapshot?.leases.filter((l) => l.state === "active").length ?? 0;
  return active === 0
    ? "no active lease to add a task to: start one with rv lease up"
    : "choose the lease to add to first: h, then ↑↓";
}
