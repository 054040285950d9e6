import { Box, Text } from "ink";
import { countByState } from "../../lease/index.ts";
import type { TuiSnapshot } from "../../ops/tui-snapshot.ts";
import { plural } from "../../plural.ts";
import { formatDuration } from "../output.ts";
import { type Cell, Line, oneLine } from "../ui/grid.tsx";
import { isStuck, type TuiState } from "./state.ts";
import type { Connection } from "./view.ts";

/** A refresh slower than this is worth saying out loud: the numbers on screen are getting old. */
const SLOW_REFRESH_MS = 1500;

/** Room kept for `rv tui` however long the connection's words (an ssh error can run to a paragraph). */
const TITLE_ROOM = 8;
/** Between the counts and the connection. */
const SPACING = 2;

interface HeaderProps {
  snapshot: TuiSnapshot | null;
  connection: Connection;
  width: number;
  nowMs: number;
}

/** `rv tui`, what the leases hold, and how fresh that is: a slow or broken connection shows here. */
export function Header({ snapshot, connection, width, nowMs }: HeaderProps) {
  const link = connectionCell(connection, nowMs);
  return (
    <Box>
      <Box flexGrow={1} flexShrink={1} minWidth={0}>
        <Line cells={[{ key: "name", text: "rv tui", bold: true }, ...countCells(snapshot)]} />
      </Box>
      <Box
        flexShrink={0}
        marginLeft={SPACING}
        width={Math.max(0, Math.min([...link.text].length, width - TITLE_ROOM - SPACING))}
      >
        <Line cells={[link]} />
      </Box>
    </Box>
  );
}

function countCells(snapshot: TuiSnapshot | null): Cell[] {
  if (!snapshot) return [{ key: "counts", text: "  loading…", dimColor: true }];
  const counts = countByState(snapshot.tasks);
  const stuck = snapshot.tasks.filter((t) => isStuck(t, snapshot)).length;
  const text = `  ${plural(snapshot.leases.length, "lease")} · ${counts.running} running · ${counts.pending} pending`;
  return [
    { key: "counts", text },
    { key: "stuck", text: ` · ${stuck} stuck`, ...(stuck ? { color: "red", bold: true } : {}) },
  ];
}

function connectionCell(connection: Connection, nowMs: number): Cell {
  const where = connection.kind === "local" ? "local" : `ssh ${connection.where}`;
  const since = (ms: number) => formatDuration(nowMs - ms);
  if (connection.error) {
    const when = connection.lastOkMs === null ? "" : ` ${since(connection.lastOkMs)} ago`;
    return { key: "link", text: `${where}: ${oneLine(connection.error)}${when}`, color: "red", bold: true };
  }
  const inFlight = connection.inFlightSinceMs;
  if (inFlight !== null && nowMs - inFlight > SLOW_REFRESH_MS)
    return { key: "link", text: `${where} · refreshing… ${since(inFlight)}`, color: "yellow" };
  if (connection.lastOkMs === null) return { key: "link", text: `${where} · connecting…`, color: "yellow" };
  return { key: "link", text: `${where} · refreshed ${since(connection.lastOkMs)} ago`, dimColor: true };
}

const KEY_HINTS =
  "↑↓/jk move  h/l pane  ⏎ menu  a add  F filter  / search  z zoom  f follow  e out/err  ? help  q quit";

/** The last row: what the last action did, else the keys. */
export function HintLine({ state }: { state: TuiState }) {
  return state.message ? (
    <Line cells={[{ key: "message", text: state.message, bold: true }]} />
  ) : (
    <Text wrap="truncate-end" dimColor>
      {KEY_HINTS}
    </Text>
  );
}
