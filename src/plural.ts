/** "1 task", "3 tasks": a count and its noun, for every message and view (the CLI, the ops' messages, the web page). */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
