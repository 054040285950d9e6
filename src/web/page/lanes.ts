import { epochOf } from "../../lease/epoch.ts";
import type { WebLeaseShow } from "../leases.ts";
import { segmentRun } from "../segment-run.ts";
import { duration } from "./format.ts";

type SegmentView = NonNullable<WebLeaseShow["show"]["slurm"]>["segments"][number];

export interface Bar {
  kind: "queued" | "running" | "planned" | "gap" | "overlap";
  /** Epoch seconds. */
  from: number;
  to: number;
  title: string;
}

export interface Lane {
  label: string;
  bars: Bar[];
}

/**
 * A Slurm lease's segments as lanes of bars: each segment queued (submitted to started), running (to its end, or
 * now) and planned (now to its walltime's end; a successor not started yet: from when it should); then a lane of
 * its renewals: the gap between a segment's end and the next one's start, or their overlap, as `rv lease show`
 * counts them.
 */
export function segmentLanes(segments: SegmentView[], nowEpoch: number): Lane[] {
  const sorted = [...segments].sort((a, b) => a.segment.n - b.segment.n);
  const spans = sorted.map((view) => ({ ...view, ...segmentRun(view) }));
  const lanes: Lane[] = spans.map(({ segment, job, start, end }, i) => {
    const submitted = epochOf(segment.submittedAt) ?? nowEpoch;
    const bars: Bar[] = [];
    const queuedTo = start ?? (segment.ended ? (end ?? submitted) : nowEpoch);
    if (queuedTo > submitted) {
      bars.push({ kind: "queued", from: submitted, to: queuedTo, title: `queued ${duration(queuedTo - submitted)}` });
    }
    if (start !== null) {
      const to = end ?? nowEpoch;
      bars.push({ kind: "running", from: start, to, title: `ran ${duration(to - start)}` });
      if (end === null && start + segment.wallSeconds > nowEpoch) {
        const until = start + segment.wallSeconds;
        bars.push({ kind: "planned", from: nowEpoch, to: until, title: `${duration(until - nowEpoch)} left` });
      }
    }
    const begin = plannedBegin(segment, spans[i - 1]);
    if (start === null && !segment.ended && begin !== null && begin > nowEpoch) {
      // A successor waiting for its --begin (overlap renewal, a reservation's end) or for the segment it is
      // chained after (afterany) to end: its run as planned, from then.
      const until = begin + segment.wallSeconds;
      bars.push({
        kind: "planned",
        from: begin,
        to: until,
        title: `planned to begin in ${duration(begin - nowEpoch)}`,
      });
    }
    const state = segment.ended?.state ?? job.state?.raw ?? "";
    return { label: `segment ${segment.n} · job ${segment.jobId} ${state.toLowerCase()}`, bars };
  });
  const renewals: Bar[] = [];
  for (let i = 1; i < spans.length; i++) {
    const before = spans[i - 1];
    const next = spans[i];
    if (!before || !next || next.start === null) continue;
    const end = before.end ?? (before.start !== null ? nowEpoch : null);
    if (end === null) continue;
    if (next.start >= end) {
      const gap = next.start - end;
      renewals.push({
        kind: "gap",
        from: end,
        to: next.start,
        title: `gap of ${duration(gap)} before segment ${next.segment.n}`,
      });
    } else {
      const overlap = end - next.start;
      renewals.push({
        kind: "overlap",
        from: next.start,
        to: end,
        title: `overlap of ${duration(overlap)} with segment ${next.segment.n}`,
      });
    }
  }
  if (renewals.length) lanes.push({ label: "renewals", bars: renewals });
  return lanes;
}

/** When a segment not started yet should start: its --begin, else the planned end of the one it is chained after. */
function plannedBegin(
  segment: SegmentView["segment"],
  before: { segment: SegmentView["segment"]; start: number | null; end: number | null } | undefined,
): number | null {
  const begin = epochOf(segment.beginAt);
  if (begin !== null) return begin;
  if (!before || segment.after !== before.segment.jobId || before.start === null || before.end !== null) return null;
  return before.start + before.segment.wallSeconds;
}
