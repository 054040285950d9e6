import { RvError } from "../errors.ts";

/** A whole number flag such as `--gpus 2`; says what is wrong and what is expected otherwise. */
export function parseCount(flag: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === "" || !Number.isInteger(n) || n < min) {
    throw new RvError("usage", `${flag} ${JSON.stringify(text)}: expected a whole number >= ${min}`);
  }
  return n;
}

/** `--gpu-ids 0,1,2,3`: the GPU ids a runner may hand out (fake ones in tests). */
export function parseGpuIds(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const ids = text.split(",").map((id) => id.trim());
  if (ids.some((id) => !/^[A-Za-z0-9:_-]+$/.test(id)) || new Set(ids).size !== ids.length) {
    throw new RvError("usage", `--gpu-ids ${JSON.stringify(text)}: expected distinct ids separated by commas`, {
      hint: "for example --gpu-ids 0,1,2,3",
    });
  }
  return ids;
}

export function parseDurationMs(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = durationMs(text);
  if (ms === undefined)
    throw new RvError("usage", `${flag} ${JSON.stringify(text)}: expected a duration like 30s, 5m or 2h`);
  return ms;
}

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
function unitsMs(text: string): number | undefined {
  const match = UNITS.exec(text);
  if (!match?.slice(1).some(Boolean)) return undefined;
  return UNIT_MS.reduce((sum, [, ms], i) => sum + Number(match[i + 1] ?? 0) * ms, 0);
}

/** A duration with units (`unitsMs`), or a bare number of seconds; `undefined` when `text` is neither. */
export function durationMs(text: string): number | undefined {
  const t = text.trim();
  return /^\d+(?:\.\d+)?$/.test(t) ? Number(t) * 1000 : unitsMs(t);
}

/**
 * A walltime flag (`--time 24h`, `--segment 2:59:00`): a duration with units as for every other flag (`90m`, `3h`,
 * `2h30m`, `1d12h`), or Slurm's own forms, where a bare number is minutes: `MM`, `HH:MM:SS`, `D-HH:MM:SS`.
 * Whole seconds.
 */
export function parseWalltime(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  const ms = unitsMs(t);
  const seconds =
    ms !== undefined ? Math.round(ms / 1000) : /^(\d+-)?\d+(:\d+){0,2}$/.test(t) ? slurmWalltime(t) : undefined;
  if (seconds === undefined || seconds <= 0) {
    throw new RvError("usage", `${flag} ${JSON.stringify(text)}: expected a walltime like 90m, 3h, 2h30m or 2:59:00`);
  }
  return seconds;
}

/** Slurm's `MM`, `MM:SS`, `HH:MM:SS`, and with days `D-HH`, `D-HH:MM`, `D-HH:MM:SS`. */
function slurmWalltime(text: string): number {
  const [days, clock] = text.includes("-") ? text.split("-") : [undefined, text];
  const parts = (clock ?? "").split(":").map(Number);
  if (days !== undefined) {
    const [h = 0, m = 0, s = 0] = parts;
    return Number(days) * 86400 + h * 3600 + m * 60 + s;
  }
  const [a = 0, b = 0, c = 0] = parts;
  if (parts.length === 3) return a * 3600 + b * 60 + c;
  return parts.length === 2 ? a * 60 + b : a * 60;
}
