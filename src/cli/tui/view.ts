import type { TuiSnapshot } from "../../ops/tui-snapshot.ts";
import type { TuiState } from "./state.ts";

/** What every pane draws from: the data, the keys' state, and the rows and columns it may fill. */
export interface PaneProps {
  snapshot: TuiSnapshot;
  state: TuiState;
  width: number;
  rows: number;
  nowMs: number;
}

/** Task ids end in random characters (fsqueue/ids.ts), so their last 8 tell tasks apart in a narrow column. */
export function shortId(id: string): string {
  return id.slice(-8);
}

/** The first of `total` lines to show in `rows` so that line `selected` stays in view, mid-window when it can. */
export function scrollOffset(total: number, selected: number, rows: number): number {
  return Math.max(0, Math.min(selected - Math.floor(rows / 2), total - rows));
}

/** The TUI's line to the leases it shows: this machine, or the cluster over ssh, and how the last refresh went. */
export interface Connection {
  kind: "local" | "ssh";
  /** The ssh host, shown as `ssh <where>`; a local connection shows as `local`. */
  where: string;
  /** When the last refresh came back. */
  lastOkMs: number | null;
  /** When the refresh under way began; null: none is. */
  inFlightSinceMs: number | null;
  /** Why the last refresh failed; null once one succeeds. */
  error: string | null;
}
