/** Code and data between this machine and the cluster (issue 16): rsync over rv's ssh connection. */
export * from "./filters.ts";
export * from "./git.ts";
export * from "./record.ts";
export * from "./rsync.ts";
export * from "./workspace.ts";
