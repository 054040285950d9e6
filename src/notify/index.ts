/**
 * `rv notify`: telling the user when a task fails, a sweep ends, a lease starts or ends (docs/experiments.md,
 * "Being told"). Settings per place, events once per lease (fsqueue's `markNotified`), delivery to a webhook and
 * a command. Below the runner, so that runners and supervisors alike can send; it knows nothing of Slurm.
 */
export * from "./deliver.ts";
export * from "./event.ts";
export * from "./mask.ts";
export * from "./notifier.ts";
export * from "./payload.ts";
export * from "./settings.ts";
export * from "./sweep.ts";
