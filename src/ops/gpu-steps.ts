// GPUs over time as steps, from spans of time some were busy or held. No imports: the page of `rv ui` computes a
// lease's held GPUs with these too.

/** A stretch of time some GPUs were busy (or held), in epoch seconds; `to` null: until now. */
export interface GpuSpan {
  from: number;
  to: number | null;
  gpus: number;
}

/** GPUs over time as steps: from times[i] on there were values[i], until times[i + 1]; the last time is now. */
export interface GpuSteps {
  times: number[];
  values: number[];
}

/** The most steps a history is given: more changes than this are averaged over as many equal stretches. */
export const GPU_STEPS_MAX = 1000;

/**
 * How many GPUs the spans add up to over [since, until], as steps: one at each change. A span's GPUs count from its
 * start to its end, clipped to the window, both to the nearest second.
 */
export function gpuSteps(spans: GpuSpan[], window: { since: number; until: number }): GpuSteps {
  const { since, until } = window;
  const changes = new Map<number, number>();
  for (const span of spans) {
    const from = Math.max(Math.round(span.from), since);
    const to = Math.min(Math.round(span.to ?? until), until);
    if (to <= from || span.gpus === 0) continue;
    changes.set(from, (changes.get(from) ?? 0) + span.gpus);
    changes.set(to, (changes.get(to) ?? 0) - span.gpus);
  }
  const times = [since];
  const values = [0];
  let value = 0;
  for (const time of [...changes.keys()].sort((a, b) => a - b)) {
    value += changes.get(time) ?? 0;
    if (time === since) values[0] = value;
    else if (time < until) {
      times.push(time);
      values.push(value);
    }
  }
  times.push(until);
  values.push(values.at(-1) ?? 0);
  return { times, values };
}

/**
 * The steps as they are, or, past `max` changes, their mean over each of `max` equal stretches of their window (a
 * day of short tasks charts as how busy each stretch was, not as 100,000 spikes), each from a whole second.
 */
export function fewerSteps(steps: GpuSteps, max = GPU_STEPS_MAX): GpuSteps {
  if (steps.times.length - 1 <= max) return steps;
  const since = steps.times[0] ?? 0;
  const until = steps.times.at(-1) ?? since;
  const width = (until - since) / max;
  const times: number[] = [];
  const values: number[] = [];
  let i = 0;
  for (let bucket = 0; bucket < max; bucket++) {
    const start = since + bucket * width;
    const end = bucket === max - 1 ? until : start + width;
    let area = 0;
    // Steps overlapping [start, end): the one in force at start, and each that begins before end.
    while (i + 1 < steps.times.length && (steps.times[i + 1] ?? until) <= start) i++;
    for (let j = i; j < steps.times.length - 1 && (steps.times[j] ?? until) < end; j++) {
      const from = Math.max(steps.times[j] ?? start, start);
      const to = Math.min(steps.times[j + 1] ?? end, end);
      area += Math.max(0, to - from) * (steps.values[j] ?? 0);
    }
    times.push(Math.round(start));
    values.push(Math.round((area / (end - start)) * 100) / 100);
  }
  times.push(until);
  values.push(values.at(-1) ?? 0);
  return { times, values };
}
