/** What the TUI's task menu does to a task, wherever the task's lease lives: an op of the same name. */
export type TaskAction = "cancel" | "requeue" | "retry";
