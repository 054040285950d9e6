/**
 * Lease records and their life cycle: DESIGN.md section 5. A command on the start-up path (rv submit, tasks,
 * status) imports the files it uses instead: this file loads all of slurm and the allocator (docs/benchmarks.md (h)).
 */
export * from "./bad-lease.ts";
export * from "./env.ts";
export * from "./journal.ts";
export * from "./local.ts";
export * from "./part-view.ts";
export * from "./parts.ts";
export * from "./phase.ts";
export * from "./race/claim.ts";
export * from "./race/files.ts";
export * from "./race/losers.ts";
export * from "./race/start.ts";
export * from "./race/store.ts";
export * from "./race/submit.ts";
export * from "./race/win.ts";
export * from "./recovery.ts";
export * from "./removal.ts";
export * from "./renewal.ts";
export * from "./reservation-view.ts";
export * from "./retry.ts";
export * from "./script.ts";
export * from "./segments.ts";
export * from "./select.ts";
export * from "./state.ts";
export * from "./store.ts";
export * from "./supervise.ts";
export * from "./turn.ts";
export * from "./walltime.ts";
export * from "./watchdog.ts";
