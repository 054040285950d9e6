/** The allocator (DESIGN.md section 6): decide how to ask Slurm for a lease, race the choices, explain them. */
export * from "./cluster-state.ts";
export * from "./decide.ts";
export * from "./race/claim.ts";
export * from "./race/files.ts";
export * from "./race/losers.ts";
export * from "./race/rows.ts";
export * from "./race/store.ts";
export * from "./race/submit.ts";
export * from "./race/win.ts";
export * from "./schema.ts";
export * from "./strategies.ts";
