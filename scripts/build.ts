// Run with `bun scripts/build.ts` (npm run build): the standalone binary users run, and a Node bundle
// behind the `rv` bin entry so `npx rv` works without Bun.
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

mkdirSync("dist", { recursive: true });

// The build id names the copy of rv deployed on a cluster (<root>/bin/rv-<version>-<build>): a changed source
// gives a new name, so a login node never runs a stale rv under the same version number.
function buildId(): string {
  const hash = createHash("sha256");
  const files = readdirSync("src", { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .sort();
  for (const file of ["package-lock.json", ...files.map((f) => join("src", f))]) {
    hash.update(file).update(readFileSync(file));
  }
  return hash.digest("hex").slice(0, 12);
}

const define = { RV_BUILD_ID: JSON.stringify(buildId()) };
const common = { entrypoints: ["src/cli/main.ts"], minify: true, sourcemap: "none" as const, define };

// Bytecode halves start-up time (every `rv submit` pays it); Bun compiles bytecode only for CommonJS.
const binary = await Bun.build({ ...common, format: "cjs", bytecode: true, compile: { outfile: "dist/rv" } });
const bundle = await Bun.build({ ...common, target: "node", format: "esm", outdir: "dist", naming: "rv.mjs" });
for (const result of [binary, bundle]) {
  if (!result.success) {
    for (const log of result.logs) console.error(log);
    process.exit(1);
  }
}
chmodSync("dist/rv", 0o755);
console.log(`built dist/rv and dist/rv.mjs (build ${JSON.parse(define.RV_BUILD_ID)})`);
