// Run with `bun scripts/build.ts` (npm run build): the standalone binary users run, and a Node bundle
// behind the `rv` bin entry so `npx rv` works without Bun.
import { chmodSync, mkdirSync } from "node:fs";

mkdirSync("dist", { recursive: true });
const common = { entrypoints: ["src/cli/main.ts"], minify: true, sourcemap: "none" as const };

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
console.log("built dist/rv and dist/rv.mjs");
