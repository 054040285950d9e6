import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The standalone binary to deploy: this very process when it is the compiled rv, else `dist/rv` beside the
 * Node bundle (`npx rv`), or RV_STANDALONE when set (rv from source in tests). Apart from build-info.ts, which
 * every command loads: node:url costs `rv --version` ~0.5 ms.
 */
export function standaloneBinary(env: NodeJS.ProcessEnv): string {
  if (env.RV_STANDALONE) return env.RV_STANDALONE;
  const compiled = Boolean(process.versions.bun) && !["bun", "node"].includes(basename(process.execPath));
  if (compiled) return process.execPath;
  return join(dirname(fileURLToPath(import.meta.url)), "rv");
}
