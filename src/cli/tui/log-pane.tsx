import { stripVTControlCharacters } from "node:util";
import { Box, Text } from "ink";
import type { TaskView } from "../../lease/index.ts";
import type { TuiLog } from "../../ops/tui-snapshot.ts";
import { Line } from "../ui/grid.tsx";
import { PaneTitle } from "./pane-title.tsx";
import type { TuiState } from "./state.ts";
import { selectedTask } from "./state.ts";
import type { PaneProps } from "./view.ts";

/** The tail of the selected task's log: its last lines while following, else scrolled up `state.scroll` lines. */
export function LogPane({ snapshot, state, rows, width }: PaneProps) {
  const task = selectedTask(state, snapshot);
  return (
    <Box flexDirection="column" height={rows} width={width} overflow="hidden">
      <PaneTitle
        title={task ? `logs ${task.id} ${state.stream} ${position(state)}` : "logs"}
        note={otherStream(state)}
      />
      <LogBody task={task} log={snapshot.logs[0] ?? null} state={state} room={Math.max(0, rows - 1)} />
    </Box>
  );
}

interface LogBodyProps {
  task: TaskView | undefined;
  log: TuiLog | null;
  state: TuiState;
  room: number;
}

/** Only a tail of this task and stream will do: the one on hand may still be the previous task's. */
function LogBody({ task, log, state, room }: LogBodyProps) {
  if (!task) return <Text dimColor>no task selected</Text>;
  if (log?.taskId !== task.id || log.stream !== state.stream) return <Text dimColor>loading…</Text>;
  const lines = logLines(log.text);
  if (lines.length === 0) return <Text dimColor>(no output yet)</Text>;
  return windowOf(lines, state, room).map((text, i) => (
    // biome-ignore lint/suspicious/noArrayIndexKey: log lines repeat; only their place tells them apart
    <Line key={i} cells={[{ key: "text", text }]} />
  ));
}

function position(state: TuiState): string {
  return state.follow ? "[follow]" : `[scroll -${state.scroll}]`;
}

function otherStream(state: TuiState): string {
  return `(e: ${state.stream === "stdout" ? "stderr" : "stdout"})`;
}

/** The `room` lines ending `scroll` lines above the end; never above the first screenful. */
function windowOf(lines: readonly string[], state: TuiState, room: number): readonly string[] {
  const end = Math.max(Math.min(lines.length, room), lines.length - (state.follow ? 0 : state.scroll));
  return lines.slice(Math.max(0, end - room), end);
}

function logLines(text: string): string[] {
  const lines = text.split("\n").map(asDrawn);
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

/**
 * What a terminal would have left of one line: a progress bar redraws itself after `\r`, and the task's own
 * colours would break NO_COLOR and the width count.
 */
function asDrawn(line: string): string {
  const redrawn = line.replace(/\r$/, "");
  return stripVTControlCharacters(redrawn.slice(redrawn.lastIndexOf("\r") + 1));
}
