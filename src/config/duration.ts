/** Milliseconds of each unit, largest first: the order they must come in. */
const UNIT_MS = [
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1000],
  ["ms", 1],
] as const;
const UNITS = new RegExp(`^${UNIT_MS.map(([unit]) => `(?:(\\d+(?:\\.\\d+)?)${unit}(?![a-z]))?`).join("")}$`);

/** The one grammar of durations with units: `2h30m`, `1d12h`, `90s`, `1.5h`, `500ms`; undefined for anything else. */
export function unitsMs(text: string): number | undefined {
  const match = UNITS.exec(text);
  if (!match?.slice(1).some(Boolean)) return undefined;
  return UNIT_MS.reduce((sum, [, ms], i) => sum + Number(match[i + 1] ?? 0) * ms, 0);
}

/** A duration with units (`unitsMs`), or a bare number of seconds; `undefined` when `text` is neither. */
export function durationMs(text: string): number | undefined {
  const t = text.trim();
  return /^\d+(?:\.\d+)?$/.test(t) ? Number(t) * 1000 : unitsMs(t);
}
