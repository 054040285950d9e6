import type { Heartbeat } from "./schema.ts";

/**
 * Invariant 5: liveness by the observer's clock. An observer remembers when, on its own clock, it
 * first saw the current heartbeat counter; a runner is stale when the counter has not moved for the
 * stale threshold. Another host's timestamp is never compared with local time.
 */
export interface Observation {
  counter: number;
  seenAtMs: number;
}

export function observe(previous: Observation | undefined, hb: Pick<Heartbeat, "counter">, nowMs: number): Observation {
  if (previous && previous.counter === hb.counter) return previous;
  return { counter: hb.counter, seenAtMs: nowMs };
}

export type Liveness = "alive" | "stale" | "exited";

export interface LivenessFacts {
  hb: Pick<Heartbeat, "counter" | "host" | "pid" | "time" | "state">;
  observation: Observation;
  nowMs: number;
  staleAfterMs: number;
  localHost: string;
  /** Only asked when the runner is on this host, where a pid means something. */
  pidAlive: (pid: number) => boolean;
}

/**
 * On the runner's own host a dead pid is proof enough. Otherwise, there as elsewhere, only the counter observed
 * to stand still counts: even one host's processes may not share a clock (a runner under faketime, a container
 * with its own time namespace), and a live pid may be a hung runner or another process that took the pid.
 */
export function judgeLiveness(f: LivenessFacts): Liveness {
  if (f.hb.state === "exited") return "exited";
  if (f.hb.host === f.localHost && !f.pidAlive(f.hb.pid)) return "stale";
  return stillForMs(f) > f.staleAfterMs ? "stale" : "alive";
}

/** How long the observer has seen the heartbeat stand still: since it first saw its counter, on its own clock. */
export function stillForMs(f: Pick<LivenessFacts, "observation" | "nowMs">): number {
  return Math.max(0, f.nowMs - f.observation.seenAtMs);
}
