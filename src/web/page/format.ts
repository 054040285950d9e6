/** "4s", "3m 20s", "2h 5m", "3d 4h": the two largest units. */
export function duration(seconds: number): string {
  let rest = Math.max(0, Math.round(seconds));
  const counts = UNITS.map(([name, size]) => {
    const count = Math.floor(rest / size);
    rest -= count * size;
    return { count, name };
  });
  const first = counts.findIndex((c) => c.count > 0);
  if (first < 0) return "0s";
  return counts
    .slice(first, first + 2)
    .filter((c) => c.count > 0)
    .map((c) => `${c.count}${c.name}`)
    .join(" ");
}

const UNITS = [
  ["d", 86_400],
  ["h", 3600],
  ["m", 60],
  ["s", 1],
] as const;

/** "12s ago" of an ISO time, by the page's clock against the snapshot's. */
export function ago(iso: string | null, nowMs: number): string {
  if (!iso) return "";
  return `${duration((nowMs - Date.parse(iso)) / 1000)} ago`;
}

/** How long a task ran, or has run so far. */
export function ran(started: string | null, ended: string | null, nowMs: number): string {
  if (!started) return "";
  return duration(((ended ? Date.parse(ended) : nowMs) - Date.parse(started)) / 1000);
}

export function bytes(count: number): string {
  if (count < 1024) return `${count} B`;
  if (count < 1024 * 1024) return `${(count / 1024).toFixed(1)} KB`;
  return `${(count / 1024 / 1024).toFixed(1)} MB`;
}

/** A command as a person would type it again. */
export function commandLine(command: { argv: string[] } | { shell: string }): string {
  if ("shell" in command) return command.shell;
  return command.argv
    .map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`))
    .join(" ");
}
