import { Box, Text } from "ink";
import type { RaceRow } from "../../alloc/index.ts";
import { formatIn } from "./format.ts";
import { type CellStyle, type Column, Table } from "./table.tsx";

export interface RaceViewProps {
  rows: readonly RaceRow[];
  lease: string;
  nowEpoch: number;
  /** The winning strategy's id, once a job has claimed the lease. */
  winner?: string | null;
  /** One line under the table: what rv does next ("cancelling the others"). */
  note?: string;
}

/** `rv lease up` while its strategies race on the cluster: one line per strategy, then who won. */
export function RaceView({ rows, lease, nowEpoch, winner, note }: RaceViewProps) {
  const racing = rows.filter((row) => STILL_RACING.has(row.state)).length;
  const won = rows.find((row) => row.strategyId === winner);
  return (
    <Box flexDirection="column">
      <Text>
        allocating {lease}
        {winner ? "" : `: ${racing} of ${rows.length} strategies racing`}
      </Text>
      <Table columns={raceColumns(nowEpoch)} rows={rows} rowKey={(row) => String(row.rank)} />
      {winner ? (
        <Text color="green" bold>
          won by {winner}
          {won?.jobId ? ` (job ${won.jobId})` : ""}
        </Text>
      ) : null}
      {note ? <Text dimColor>{note}</Text> : null}
    </Box>
  );
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
    { header: "strategy", cell: (row) => row.strategyId },
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
