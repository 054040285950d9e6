import { Box, Text } from "ink";
import type { TaskState, TaskView } from "../../lease/index.ts";
import { formatDuration } from "../output.ts";
import { gpusText } from "../ui/format.ts";
import { type CellStyle, type Column, Grid } from "../ui/grid.tsx";
import { PaneTitle } from "./pane-title.tsx";
import { isStuck, selectedTask, type TuiState, visibleTasks } from "./state.ts";
import { type PaneProps, scrollOffset, shortId } from "./view.ts";

const STATE_STYLE: Record<TaskState, CellStyle> = {
  pending: { dimColor: true },
  blocked: { dimColor: true },
  running: { color: "blue" },
  lost: { color: "magenta" },
  succeeded: { color: "green" },
  failed: { color: "red" },
  cancelled: { color: "yellow" },
  dep_failed: { color: "red" },
  unknown: { color: "magenta" },
};

const STUCK: CellStyle = { color: "red", bold: true };

/** The tasks the lease, filter and search leave, newest first; the selected one stays in view. */
export function TasksPane({ snapshot, state, rows, width, nowMs }: PaneProps) {
  const tasks = visibleTasks(snapshot, state);
  const selected = selectedTask(state, snapshot);
  const room = Math.max(0, rows - 2);
  const at = tasks.findIndex((t) => t.id === selected?.id);
  const first = scrollOffset(tasks.length, at, room);
  const stuck = (task: TaskView) => isStuck(task, snapshot);
  const tags = state.tags.map((tag) => ` tag:${tag}`).join("");
  const title = `tasks [${state.filter}]${tags}${state.search ? ` /${state.search}` : ""}`;
  return (
    <Box flexDirection="column" height={rows} width={width} overflow="hidden">
      <PaneTitle
        title={title}
        note={tasks.length ? `${at + 1}/${tasks.length}` : ""}
        focused={state.focus === "tasks"}
      />
      {tasks.length ? (
        <Grid
          columns={taskColumns(selected?.id ?? null, stuck, nowMs)}
          rows={tasks}
          visible={{ first, count: room }}
          width={width}
          rowKey={(t) => t.id}
          highlighted={state.focus === "tasks" ? (selected?.id ?? null) : null}
          rowStyle={(t) => (stuck(t) ? STUCK : undefined)}
        />
      ) : (
        <Text wrap="truncate-end">{emptyText(state)}</Text>
      )}
    </Box>
  );
}

function emptyText({ filter, search }: TuiState): string {
  return `no tasks (filter: ${filter}${search ? `, search: ${search}` : ""}) — press a to add one`;
}

/** `>` marks the selected row and `!` a stuck task, so both show without colour. */
function taskColumns(selectedId: string | null, stuck: (t: TaskView) => boolean, nowMs: number): Column<TaskView>[] {
  return [
    { header: "", cell: (t) => `${t.id === selectedId ? ">" : " "}${stuck(t) ? "!" : " "}` },
    { header: "id", cell: (t) => shortId(t.id) },
    { header: "name", cell: (t) => t.name ?? "-", width: "fill" },
    { header: "state", cell: (t) => t.state, style: (t) => STATE_STYLE[t.state] },
    { header: "gpus", cell: gpusText },
    { header: "node", cell: (t) => t.host ?? "-" },
    { header: "att", cell: (t) => String(t.attempt) },
    {
      header: "elapsed",
      cell: (t) => elapsed(t, nowMs),
      style: (t) => (t.state === "pending" ? { dimColor: true } : {}),
    },
  ];
}

/** Running: so far; finished: how long it ran; pending: how long it has waited. */
function elapsed(task: TaskView, nowMs: number): string {
  if (task.state === "pending") return formatDuration(nowMs - Date.parse(task.submittedAt));
  if (!task.startedAt) return "-";
  const end = task.endedAt ? Date.parse(task.endedAt) : nowMs;
  return formatDuration(end - Date.parse(task.startedAt));
}
