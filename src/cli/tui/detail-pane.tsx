import { Box, Text } from "ink";
import type { TaskView } from "../../lease/index.ts";
import { plural } from "../../plural.ts";
import { commandText } from "../commands/tasks.ts";
import { formatDuration } from "../output.ts";
import { gpusText } from "../ui/format.ts";
import { Line } from "../ui/grid.tsx";
import { PaneTitle } from "./pane-title.tsx";
import { selectedTask } from "./state.ts";
import type { PaneProps } from "./view.ts";

const LABEL_WIDTH = 9;

/** Everything about the selected task, one fact a row, the most telling first (the rows may run out). */
export function DetailPane({ snapshot, state, rows, width, nowMs }: PaneProps) {
  const task = selectedTask(state, snapshot);
  return (
    <Box flexDirection="column" height={rows} width={width} overflow="hidden">
      <PaneTitle title={task ? `task ${task.id}${task.name ? ` ${task.name}` : ""}` : "task"} />
      {task ? (
        facts(task, nowMs).map(([label, value]) => (
          <Line
            key={label}
            cells={[
              { key: "label", text: label.padEnd(LABEL_WIDTH), dimColor: true },
              { key: "value", text: value },
            ]}
          />
        ))
      ) : (
        <Text dimColor>no task selected</Text>
      )}
    </Box>
  );
}

function facts(task: TaskView, nowMs: number): [string, string][] {
  const all: [string, string][] = [
    ["command", commandText(task)],
    ["cwd", task.cwd],
    ["result", outcome(task)],
    ["gpus", placement(task)],
    ["times", times(task, nowMs)],
    ["tags", task.tags.join(", ")],
    ["note", task.note ?? ""],
  ];
  return all.filter(([, value]) => value !== "");
}

/** The runner's reason already names the exit code or signal when it gives one. */
function outcome(task: TaskView): string {
  return [
    `${task.state}, attempt ${task.attempt}`,
    task.reason ?? (task.exitCode === null ? "" : `exit ${task.exitCode}`),
    task.reason === null && task.signal ? `signal ${task.signal}` : "",
  ]
    .filter(Boolean)
    .join(" · ");
}

/** The GPUs it was given (or asks for), its cpus, and the runner and host it ran on. */
function placement(task: TaskView): string {
  const where = task.runner ? ` · ${task.host ?? "?"} (runner ${task.runner})` : "";
  return `${gpusText(task)} · ${plural(task.cpus, "cpu")}${where}`;
}

function times(task: TaskView, nowMs: number): string {
  return [
    `submitted ${ago(task.submittedAt, nowMs)}`,
    task.startedAt ? `started ${ago(task.startedAt, nowMs)}` : "",
    task.endedAt ? `ended ${ago(task.endedAt, nowMs)}` : "",
  ]
    .filter(Boolean)
    .join(" · ");
}

function ago(iso: string, nowMs: number): string {
  return `${formatDuration(nowMs - Date.parse(iso))} ago`;
}
