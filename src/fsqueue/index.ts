/**
 * The on-disk queue, protocol v1 (DESIGN.md section 3; the invariants are stated in PROTOCOL.md).
 * Pure filesystem: it knows nothing of Slurm, processes or the CLI. Other modules import only this file.
 */

export * from "./admission.ts";
export * from "./archive.ts";
export * from "./cancel.ts";
export * from "./claim.ts";
export * from "./control.ts";
export * from "./dependencies.ts";
export * from "./done-index.ts";
export * from "./done-index-format.ts";
export * from "./done-record.ts";
export * from "./events.ts";
export * from "./finish.ts";
export * from "./gone.ts";
export * from "./heartbeat.ts";
export * from "./ids.ts";
export * from "./layout.ts";
export * from "./lease-record.ts";
export * from "./liveness.ts";
export * from "./lock.ts";
export * from "./lock-staleness.ts";
export * from "./notes.ts";
export * from "./observations.ts";
export * from "./once.ts";
export * from "./paths.ts";
export * from "./publish.ts";
export * from "./quarantine.ts";
export * from "./records.ts";
export * from "./recover.ts";
export * from "./remove.ts";
export * from "./schema.ts";
export * from "./secrets.ts";
export * from "./snapshot.ts";
export * from "./task-copy.ts";
