import { Box, Text } from "ink";
import type { TaskView } from "../../lease/index.ts";
import { type CellStyle, Line, oneLine } from "../ui/grid.tsx";
import type { TaskAction } from "./action.ts";
import type { MenuItem } from "./state.ts";
import { shortId } from "./view.ts";

/** The screen rows a box may take, from `top`; it opens at the right edge, or fills the width. */
export interface Place {
  top: number;
  rows: number;
  width: number;
}

/** Columns kept clear right of a box, so it reads as laid over the table rather than part of it. */
const EDGE = 2;

interface BoxLine extends CellStyle {
  key: string;
  text: string;
  inverse?: boolean;
}

/**
 * A bordered box drawn over the panes. Ink draws only what a box holds, so every line is padded to the box's
 * inner width: the pane under it would show through the gaps otherwise.
 */
function Popup({ place, lines, fill = false }: { place: Place; lines: readonly BoxLine[]; fill?: boolean }) {
  const widest = Math.max(...lines.map((line) => [...line.text].length));
  const inner = Math.max(0, fill ? place.width - 2 : Math.min(place.width - 2 - EDGE, widest + 2));
  return (
    <Box
      position="absolute"
      marginTop={place.top}
      marginLeft={fill ? 0 : Math.max(0, place.width - inner - 2 - EDGE)}
      width={inner + 2}
      height={Math.min(place.rows, lines.length + 2)}
      overflow="hidden"
      flexDirection="column"
      borderStyle="round"
    >
      {lines.map(({ key, text, inverse, ...style }) => (
        <Line key={key} inverse={inverse} cells={[{ key, text: ` ${text}`.padEnd(inner), ...style }]} />
      ))}
    </Box>
  );
}

interface MenuOverlayProps {
  place: Place;
  task: TaskView | undefined;
  items: readonly MenuItem[];
  index: number;
}

/** The selected task's actions, the chosen one highlighted and marked. */
export function MenuOverlay({ place, task, items, index }: MenuOverlayProps) {
  const lines: BoxLine[] = [
    { key: "title", text: task ? `task ${shortId(task.id)}${task.name ? ` ${task.name}` : ""}` : "task", bold: true },
    ...items.map((item, i) => ({ key: item, text: `${i === index ? ">" : " "} ${item}`, inverse: i === index })),
    { key: "keys", text: "⏎ choose  esc close", dimColor: true },
  ];
  return <Popup place={place} lines={lines} />;
}

/** Destructive actions ask first; anything but y says no. */
export function ConfirmOverlay({ place, action, task }: { place: Place; action: TaskAction; task: TaskView }) {
  const what = `${action} task ${task.id}${task.name ? ` (${task.name})` : ""}? y/N`;
  return <Popup place={place} lines={[{ key: "ask", text: what, bold: true, color: "yellow" }]} />;
}

/** Every key, what it does; the hint line has room for only a few. */
const KEY_REFERENCE: readonly [string, string][] = [
  ["↑↓ j k", "move in the focused pane (zoomed logs: scroll)"],
  ["PgUp PgDn", "move by 10"],
  ["h ← / l → ⇥", "focus the leases / the tasks"],
  ["⏎", "leases: show its tasks; tasks: logs, cancel, requeue, retry"],
  ["a", "add a task to the lease: [gpus=N] [cpus=N] [name=X] command"],
  ["F", "next filter: recent all running pending done failed stuck"],
  ["/", "search names and ids"],
  ["f", "the log, following it or not"],
  ["e", "the log, stdout or stderr"],
  ["z", "zoom the bottom pane"],
  ["esc", "back to the details, unzoomed"],
  ["?", "this help"],
  ["q", "quit"],
];

export function HelpOverlay({ place }: { place: Place }) {
  const keyWidth = Math.max(...KEY_REFERENCE.map(([key]) => [...key].length)) + 2;
  const lines: BoxLine[] = [
    { key: "title", text: "keys", bold: true },
    ...KEY_REFERENCE.map(([key, what]) => ({ key, text: `${key.padEnd(keyWidth)}${what}` })),
    { key: "close", text: "any key closes this", dimColor: true },
  ];
  return <Popup place={place} lines={lines} fill />;
}

/** The line being typed, in place of the hints; a long draft shows its end, where the cursor is. */
export function InputLine({ prompt, draft }: { prompt: string; draft: string }) {
  return (
    <Box>
      <Box flexShrink={0}>
        <Text bold>{prompt}</Text>
      </Box>
      <Box flexShrink={1} minWidth={0}>
        <Text wrap="truncate-start">{`${oneLine(draft)}▏`}</Text>
      </Box>
    </Box>
  );
}
