import { Box } from "ink";
import type { RunnerView } from "../../lease/index.ts";
import type { TuiLease, TuiSnapshot } from "../../ops/tui-snapshot.ts";
import { formatDuration } from "../output.ts";
import { type Cell, type CellStyle, Line, padColumns } from "../ui/grid.tsx";
import { PaneTitle } from "./pane-title.tsx";
import { type PaneProps, scrollOffset } from "./view.ts";

/** Rows the pane would take to show everything: its title, `all leases`, each lease, each part and each runner. */
export function leasesPaneHeight(snapshot: TuiSnapshot): number {
  return 2 + snapshot.leases.reduce((sum, lease) => sum + 1 + (lease.parts?.length ?? 0) + lease.runners.length, 0);
}

interface PaneLine {
  key: string;
  cells: Cell[];
  /** The lease this row selects; null: all leases; undefined: a part's or a runner's row, which selects nothing. */
  lease?: string | null;
}

/** Each lease, where it stands and its runners under it; the row of the selected lease stays in view. */
export function LeasesPane({ snapshot, state, rows, width }: PaneProps) {
  const lines = paneLines(snapshot.leases, state.leaseId);
  const selected = Math.max(
    0,
    lines.findIndex((l) => l.lease === state.leaseId),
  );
  const room = Math.max(0, rows - 1);
  const first = scrollOffset(lines.length, selected, room);
  const focused = state.focus === "leases";
  return (
    <Box flexDirection="column" height={rows} width={width} overflow="hidden">
      <PaneTitle title="leases" focused={focused} />
      {lines.slice(first, first + room).map((line, i) => (
        <Line key={line.key} cells={line.cells} inverse={focused && first + i === selected} />
      ))}
    </Box>
  );
}

function paneLines(leases: readonly TuiLease[], selected: string | null): PaneLine[] {
  const marker = (lease: string | null): Cell => ({ key: "marker", text: lease === selected ? "> " : "  " });
  const leaseRows = padColumns(leases.map(leaseCells));
  // Runners line up with each other across leases, as leases do with leases.
  const runners = leases.flatMap((lease) => lease.runners.map((runner) => ({ lease: lease.id, runner })));
  const runnerRows = padColumns(runners.map(({ runner }) => runnerCells(runner)));
  const runnerLines = (lease: string) =>
    runners.flatMap((r, i) =>
      r.lease === lease ? [{ key: `${lease}/${r.runner.id}`, cells: [RUNNER_INDENT, ...(runnerRows[i] ?? [])] }] : [],
    );
  return [
    { key: "all", cells: [marker(null), { key: "all", text: "all leases" }], lease: null },
    ...leases.flatMap((lease, n) => [
      { key: lease.id, cells: [marker(lease.id), ...(leaseRows[n] ?? [])], lease: lease.id },
      ...partLines(lease),
      ...runnerLines(lease.id),
    ]),
  ];
}

const RUNNER_INDENT: Cell = { key: "indent", text: "    " };

/**
 * A lease of parts: each part's job, its state on Slurm (a part queued or gone while others run shows here), and its
 * partition: where it runs, or every one it may start in while a spread part waits, as `rv lease show` says.
 */
function partLines(lease: TuiLease): PaneLine[] {
  const rows = padColumns(
    (lease.parts ?? []).map((part) => [
      { key: "part", text: `part ${part.part}` },
      { key: "segment", text: `segment ${part.segment}` },
      { key: "job", text: `job ${part.jobId}` },
      { key: "state", text: part.state ?? "unknown to Slurm", ...partStateStyle(part.state) },
      { key: "partition", text: part.partition ? `in ${part.partition}` : "" },
    ]),
  );
  return rows.map((cells, i) => ({ key: `${lease.id}/part-${i}`, cells: [RUNNER_INDENT, ...cells] }));
}

function partStateStyle(state: string | null): CellStyle {
  if (state === "RUNNING") return { color: "green" };
  if (state === "PENDING" || state === "CONFIGURING") return { color: "yellow" };
  return { color: "red", bold: true };
}

const TONE_STYLE: Record<"bad" | "wait", CellStyle> = { bad: { color: "red", bold: true }, wait: { color: "yellow" } };

/** Where it stands comes last: a Slurm phase runs long, and it is its tail that the width should cut. */
function leaseCells(lease: TuiLease): Cell[] {
  const released = lease.state === "released";
  return [
    { key: "id", text: lease.id, bold: !released, dimColor: released },
    { key: "gpus", text: busyOf(lease.gpus.busy, lease.gpus.free) },
    { key: "left", text: lease.timeLeftSeconds === null ? "" : `${formatDuration(lease.timeLeftSeconds * 1000)} left` },
    { key: "gap", text: renewalGap(lease.renewalGapSeconds) },
    {
      key: "phase",
      text: lease.phase ?? (released ? "released" : lease.kind),
      ...(lease.phaseTone ? TONE_STYLE[lease.phaseTone] : { dimColor: released }),
    },
  ];
}

/** How the last renewal went: a gap is time the lease held nothing; an overlap is two jobs held at once. */
function renewalGap(seconds: number | null): string {
  if (seconds === null) return "";
  return seconds < 0 ? `overlap ${formatDuration(-seconds * 1000)}` : `gap ${formatDuration(seconds * 1000)}`;
}

const HEALTH_STYLE: Record<RunnerView["health"], CellStyle> = {
  ok: { color: "green" },
  draining: { color: "cyan" },
  stale: { color: "red", bold: true },
  gone: { dimColor: true },
  exited: { color: "yellow" },
};

function runnerCells(runner: RunnerView): Cell[] {
  const age = formatDuration(runner.heartbeatAgeMs);
  return [
    { key: "node", text: `${runner.host} pid ${runner.pid}` },
    { key: "health", text: runner.health, ...HEALTH_STYLE[runner.health] },
    { key: "beat", text: `beat ${age}` },
    { key: "running", text: `${runner.running} running` },
    { key: "gpus", text: busyOf(runner.gpus.length - runner.freeGpus.length, runner.freeGpus.length) },
  ];
}

function busyOf(busy: number, free: number): string {
  return `gpus ${busy}/${busy + free} busy`;
}
