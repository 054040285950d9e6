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
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new RvError("usage", `${flag} ${JSON.stringify(text)}: expected a duration like 30s, 5m or 2h`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? "s"] ?? 1000;
  return Number(match[1]) * unit;
}
