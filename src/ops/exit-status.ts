import { constants } from "node:os";
import type { TaskView } from "../lease/state.ts";

/** The exit status a shell would give: the code, or 128 + signal number, or 1 for other failures. */
export function exitStatusOf(view: TaskView | undefined | null): number {
  if (!view) return 1;
  if (view.state === "succeeded") return 0;
  if (view.exitCode !== null) return view.exitCode;
  if (view.signal) return 128 + (constants.signals[view.signal as NodeJS.Signals] ?? 0);
  return 1;
}
