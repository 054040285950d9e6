import { durationMs, unitsMs } from "../config/index.ts";
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

/** `--env K=V` sets a value; `--env K` copies K from the submitter's environment. */
export function parseEnvFlags(flags: string[], env: NodeJS.ProcessEnv): Record<string, string> {
  const parsed: Record<string, string> = {};
  for (const flag of flags) {
    const eq = flag.indexOf("=");
    const key = eq === -1 ? flag : flag.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw new RvError("usage", `--env ${JSON.stringify(flag)}: ${JSON.stringify(key)} is not a variable name`, {
        hint: "write --env NAME=VALUE, or --env NAME to pass NAME from your environment",
      });
    }
    const value = eq === -1 ? env[key] : flag.slice(eq + 1);
    if (value === undefined) {
      throw new RvError("usage", `--env ${key}: ${key} is not set in your environment`, {
        hint: `set it, or give a value: --env ${key}=VALUE`,
      });
    }
    parsed[key] = value;
  }
  return parsed;
}
