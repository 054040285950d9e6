import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import packageJson from "../../package.json" with { type: "json" };

/** Set by scripts/build.ts; absent when rv runs from source (tests), where it reads "dev". */
declare const RV_BUILD_ID: string | undefined;

export const rvVersion: string = packageJson.version;
export const buildId: string = typeof RV_BUILD_ID === "string" ? RV_BUILD_ID : "dev";

/** The file name of this build on a cluster: `<root>/bin/rv-<version>-<build>`. */
export const deployedName = `rv-${rvVersion}-${buildId}`;

/**
 * The standalone binary to deploy: this very process when it is the compiled rv, else `dist/rv` beside the
 * Node bundle (`npx rv`), or RV_STANDALONE when set (rv from source in tests).
 */
export function standaloneBinary(env: NodeJS.ProcessEnv): string {
  if (env.RV_STANDALONE) return env.RV_STANDALONE;
  const compiled = Boolean(process.versions.bun) && !["bun", "node"].includes(basename(process.execPath));
  if (compiled) return process.execPath;
  return join(dirname(fileURLToPath(import.meta.url)), "rv");
}
