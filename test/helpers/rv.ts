import { existsSync } from "node:fs";
import { join } from "node:path";
import { execa, type Options } from "execa";

/** End-to-end tests run the built standalone binary, the thing users run (`npm run build` first). */
export const RV_BIN = join(import.meta.dirname, "..", "..", "dist", "rv");

export function assertBuilt(): void {
  if (!existsSync(RV_BIN)) throw new Error(`${RV_BIN} is missing: run \`npm run build\` first (npm test does)`);
}

/** Runs `rv ARGS` against the given RV_HOME; never throws on a non-zero exit. */
export function rv(root: string, args: string[], options: Options & { env?: Record<string, string> } = {}) {
  return execa(RV_BIN, args, {
    reject: false,
    stdin: "ignore",
    stripFinalNewline: false,
    ...options,
    env: { RV_HOME: root, NO_COLOR: "1", ...options.env },
  });
}
