/** Lease records and their life cycle (local half): DESIGN.md section 5. */
export * from "./local.ts";
export * from "./phase.ts";
export * from "./recovery.ts";
export * from "./renewal.ts";
export * from "./retry.ts";
export * from "./script.ts";
export * from "./segments.ts";
export * from "./select.ts";
export * from "./state.ts";
export * from "./store.ts";
export * from "./turn.ts";
