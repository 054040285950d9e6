import { Box } from "ink";
import type { TuiSnapshot } from "../../ops/tui-snapshot.ts";
import { DetailPane } from "./detail-pane.tsx";
import { Header, HintLine } from "./header.tsx";
import { LeasesPane, leasesPaneHeight } from "./leases-pane.tsx";
import { LogPane } from "./log-pane.tsx";
import { ConfirmOverlay, HelpOverlay, InputLine, MenuOverlay, type Place } from "./overlays.tsx";
import { RacePane } from "./race-pane.tsx";
import type { TuiState } from "./state.ts";
import { TasksPane } from "./tasks-pane.tsx";
import type { Connection, PaneProps } from "./view.ts";

/** Where the snapshot comes from and how the last refreshes went. */

export interface TuiAppProps {
  snapshot: TuiSnapshot | null;
  state: TuiState;
  width: number;
  height: number;
  nowMs: number;
  connection: Connection;
}

/** The header's row and the hint line's. */
const FRAME_ROWS = 2;

/** Past this the bottom pane stops growing, and a tall screen gives its rows to the tasks table. */
const BOTTOM_MAX = 10;

/**
 * `rv tui` as one pure function of what it shows: exactly `height` rows of at most `width` columns, so a
 * resize redraws cleanly and nothing ever wraps.
 */
export function TuiApp({ snapshot, state, width, height, nowMs, connection }: TuiAppProps) {
  const body = Math.max(0, height - FRAME_ROWS);
  const rows = paneRows(body, snapshot ? leasesPaneHeight(snapshot) : 0, state.zoom);
  const pane = { state, width, nowMs };
  const tasksTop = 1 + rows.leases;
  return (
    <Box flexDirection="column" width={width} height={height} flexShrink={0} overflow="hidden">
      <Header snapshot={snapshot} connection={connection} width={width} nowMs={nowMs} />
      <Box flexDirection="column" height={body} flexShrink={0}>
        {snapshot ? (
          <>
            <LeasesPane snapshot={snapshot} {...pane} rows={rows.leases} />
            <TasksPane snapshot={snapshot} {...pane} rows={rows.tasks} />
            <BottomPane snapshot={snapshot} {...pane} rows={rows.bottom} />
          </>
        ) : null}
      </Box>
      <BottomLine state={state} />
      <Overlay
        state={state}
        popup={{ top: tasksTop + 1, rows: rows.tasks + rows.bottom - 1, width }}
        full={{ top: 1, rows: body, width }}
      />
    </Box>
  );
}

/** The body's rows shared out: leases and the bottom pane a third each at most, the tasks table the rest. */
function paneRows(body: number, leasesWanted: number, zoom: boolean) {
  if (zoom) return { leases: 0, tasks: 0, bottom: body };
  const third = Math.floor(body / 3);
  const leases = Math.min(leasesWanted, third);
  const bottom = Math.min(BOTTOM_MAX, third);
  return { leases, tasks: body - leases - bottom, bottom };
}

/** The selected task's detail or log; in place of the detail, the race of a selected lease still racing. */
function BottomPane(props: PaneProps) {
  const { snapshot, state } = props;
  if (state.pane === "logs") return <LogPane {...props} />;
  const lease = snapshot.leases.find((l) => l.id === state.leaseId);
  return lease?.race ? <RacePane {...props} lease={lease.id} race={lease.race} /> : <DetailPane {...props} />;
}

function BottomLine({ state }: { state: TuiState }) {
  const { mode } = state;
  if (mode.kind === "search") return <InputLine prompt="/" draft={mode.draft} />;
  if (mode.kind === "add") {
    return <InputLine prompt={`add to ${mode.lease}: `} draft={mode.draft} />;
  }
  return <HintLine state={state} />;
}

interface OverlayProps {
  state: TuiState;
  popup: Place;
  full: Place;
}

/** Menus and confirmations open over the tasks table, under its title; help takes the whole body. */
function Overlay({ state, popup, full }: OverlayProps) {
  const { mode } = state;
  switch (mode.kind) {
    case "menu":
      return <MenuOverlay place={popup} task={mode.task} items={mode.items} index={mode.index} />;
    case "confirm":
      return <ConfirmOverlay place={popup} action={mode.action} task={mode.task} />;
    case "help":
      return <HelpOverlay place={full} />;
    default:
      return null;
  }
}
