import { Box } from "ink";
import type { RaceRow } from "../../allocator/index.ts";
import { RaceView } from "../ui/race-view.tsx";
import type { PaneProps } from "./view.ts";

interface RacePaneProps extends Pick<PaneProps, "width" | "rows" | "nowMs"> {
  lease: string;
  race: readonly RaceRow[];
}

/** A Slurm lease still racing for its first allocation, drawn as `rv lease up` draws it. */
export function RacePane({ lease, race, width, rows, nowMs }: RacePaneProps) {
  return (
    <Box flexDirection="column" height={rows} width={width} overflow="hidden">
      {/* Cut at the pane's foot when it is short; squeezed, Yoga would drop rows from the middle of the table. */}
      <Box flexDirection="column" flexShrink={0}>
        <RaceView rows={race} lease={lease} nowEpoch={Math.floor(nowMs / 1000)} width={width} />
      </Box>
    </Box>
  );
}
