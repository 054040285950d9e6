/**
 * Seeded randomness (mulberry32): a run of a scenario is the same run again with the same seed, so a failure the
 * table shows can be replayed with `npm run chaos -- --only NAME --seed S`.
 */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A whole number of milliseconds in [low, high). */
export function between(random: () => number, low: number, high: number): number {
  return Math.floor(low + random() * (high - low));
}
