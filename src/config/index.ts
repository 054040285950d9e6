import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse, TomlError } from "smol-toml";
import { z } from "zod";
import { RvError } from "../errors.ts";

export { inheritedEnv } from "./env.ts";

const ms = z.number().int().positive();
const grace = z.number().int().min(0);

export const ConfigSchema = z
  .object({
    defaults: z
      .object({
        /** The lease `rv submit` uses when none is named and none is running. */
        lease: z.string().default("local"),
        maxCrashes: z.number().int().min(1).default(3),
      })
      .strict()
      .default({ lease: "local", maxCrashes: 3 }),
    runner: z
      .object({
        heartbeatMs: ms.default(2000),
        staleAfterMs: ms.default(30_000),
        drainGraceMs: grace.default(60_000),
        killGraceMs: grace.default(10_000),
      })
      .strict()
      .default({ heartbeatMs: 2000, staleAfterMs: 30_000, drainGraceMs: 60_000, killGraceMs: 10_000 }),
  })
  .strict();
export type Config = z.infer<typeof ConfigSchema>;

const envOverrides: [keyof Config["runner"], string][] = [
  ["heartbeatMs", "RV_HEARTBEAT_MS"],
  ["staleAfterMs", "RV_STALE_AFTER_MS"],
  ["drainGraceMs", "RV_DRAIN_GRACE_MS"],
  ["killGraceMs", "RV_KILL_GRACE_MS"],
];

/** `$RV_HOME/config.toml` (optional), then `RV_*` environment variables on top. */
export function loadConfig(root: string, env: NodeJS.ProcessEnv): Config {
  const file = join(root, "config.toml");
  let raw: unknown = {};
  try {
    raw = parse(readFileSync(file, "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      const where = error instanceof TomlError ? ` (line ${error.line}, column ${error.column})` : "";
      throw new RvError("usage", `${file}${where}: ${(error as Error).message.split("\n")[0]}`, {
        hint: "fix the file or move it away; rv works without it",
      });
    }
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RvError("usage", `${file}: ${issue?.path.join(".")}: ${issue?.message}`, {
      hint: "see docs/configuration.md for the keys rv understands",
    });
  }
  const config = parsed.data;
  for (const [key, name] of envOverrides) {
    const value = env[name];
    if (value === undefined || value === "") continue;
    const n = Number(value);
    const min = key.endsWith("GraceMs") ? 0 : 1;
    if (!Number.isInteger(n) || n < min) {
      throw new RvError("usage", `${name}=${value} is not a whole number of milliseconds >= ${min}`, {
        hint: `unset ${name}, or set it to a number such as ${name}=${config.runner[key]}`,
      });
    }
    config.runner[key] = n;
  }
  return config;
}
