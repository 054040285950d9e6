/**
 * The allocator (DESIGN.md section 6): pure decisions of how to ask Slurm for a lease (strategies, probes,
 * ranking, explanation, site profiles, SU cost). Racing the choices and keeping the lease is src/lease's.
 */
export * from "./cluster-state.ts";
export * from "./decide.ts";
export * from "./race-rows.ts";
export * from "./racer-label.ts";
export * from "./reservations.ts";
export * from "./schema.ts";
export * from "./shapes.ts";
export * from "./spread.ts";
export * from "./strategies.ts";
