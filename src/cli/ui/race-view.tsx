import { Box } from "ink";
import type { RaceRow } from "../../allocator/index.ts";
import { racerLabel } from "../../allocator/racer-label.ts";
import { formatIn } from "./format.ts";
import { type CellStyle, type Column, Grid, Line } from "./grid.tsx";

/** What the caller knows of the race; the width comes from where it is drawn. */
export interface RaceState {
  rows: readonly RaceRow[];
  lease: string;
  nowEpoch: number;
  /** One line under the table: what rv does next ("cancelling the others"). */
  note?: string;
}

export interface RaceViewProps extends RaceState {
  /** Columns to fit: every line is cut to them, never wrapped. */
  width: number;
}

/**
 * A Slurm lease's strategies racing on the cluster: one line per strategy, then who won. `rv lease up` draws it
 * while it waits, and `rv tui` while the selected lease has no allocation yet.
 */
export function RaceView({ rows, lease, nowEpoch, note, width }: RaceViewProps) {
  const racing = rows.filter((row) => STILL_RACING.has(row.state)).length;
  const won = rows.find((row) => row.state === "won");
  const title = won
    ? `allocating ${lease}`
    : `allocating ${lease}: ${racing} of ${rows.length} ${rows.some((row) => row.parts) ? "jobs" : "strategies"} racing`;
  return (
    <Box flexDirection="column">
      <Line cells={[{ key: "title", text: title }]} />
      <Grid
        columns={raceColumns(nowEpoch)}
        rows={rows}
        width={width}
        rowKey={(row) => `${row.rank}-${row.part ?? 0}`}
      />
      {won ? <Line cells={[{ key: "won", text: wonBy(won), color: "green", bold: true }]} /> : null}
      {note ? <Line cells={[{ key: "note", text: note, dimColor: true }]} /> : null}
    </Box>
  );
}

function wonBy(row: RaceRow): string {
  return `won by ${racerLabel(row)}${row.jobId ? ` (job ${row.jobId})` : ""}`;
}

const STILL_RACING: ReadonlySet<RaceRow["state"]> = new Set(["submitting", "pending", "starting"]);

const STATE_STYLE: Record<RaceRow["state"], CellStyle> = {
  submitting: {},
  pending: { color: "yellow" },
  starting: { color: "cyan" },
  won: { color: "green", bold: true },
  refused: { color: "red" },
  lost: { dimColor: true },
  cancelled: { dimColor: true },
  ended: { dimColor: true },
};

function raceColumns(nowEpoch: number): Column<RaceRow>[] {
  return [
    { header: "#", cell: (row) => String(row.rank) },
    { header: "strategy", cell: (row) => racerLabel(row) },
    { header: "job", cell: (row) => row.jobId ?? "-" },
    { header: "state", cell: (row) => row.state, style: (row) => STATE_STYLE[row.state] },
    { header: "start", cell: (row) => expectedStart(row, nowEpoch) },
    { header: "reason", cell: (row) => row.reason ?? "", width: "fill" },
  ];
}

/** Only a strategy still in the race has a start worth showing. */
function expectedStart(row: RaceRow, nowEpoch: number): string {
  return STILL_RACING.has(row.state) && row.startEpoch !== null ? formatIn(row.startEpoch, nowEpoch) : "-";
}
