// Run with `bun scripts/build.ts` (npm run build): the standalone binary users run, and a Node bundle
// behind the `rv` bin entry so `npx rv` works without Bun.

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { BunPlugin } from "bun";
import { copyWhole } from "./copy-whole.mjs";

mkdirSync("dist", { recursive: true });

// The build id names the copy of rv deployed on a cluster (<root>/bin/rv-<version>-<build>): a changed source
// gives a new name, so a login node never runs a stale rv under the same version number.
function buildId(): string {
  const hash = createHash("sha256");
  const files = readdirSync("src", { recursive: true, encoding: "utf8" })
    .filter((f) => /\.(tsx?|css)$/.test(f))
    .sort();
  for (const file of ["package-lock.json", ...files.map((f) => join("src", f))]) {
    hash.update(file).update(readFileSync(file));
  }
  return hash.digest("hex").slice(0, 12);
}

// The page of `rv ui` goes into the build as two strings (src/web/assets.ts): its script, bundled for the browser
// from src/web/page, and its style. The binary serves them itself; nothing is installed or fetched at run time.
const page = await Bun.build({ entrypoints: ["src/web/page/main.ts"], target: "browser", format: "esm", minify: true });
const [pageScript] = page.outputs;
if (!page.success || !pageScript) {
  for (const log of page.logs) console.error(log);
  process.exit(1);
}

// NODE_ENV picks React's production build; unset, every drawn frame would run its development checks.
const define = {
  RV_BUILD_ID: JSON.stringify(buildId()),
  RV_WEB_SCRIPT: JSON.stringify(await pageScript.text()),
  // uPlot's own style first (its charts' legend and cursor), then the page's.
  RV_WEB_STYLE: JSON.stringify(
    readFileSync("node_modules/uplot/dist/uPlot.min.css", "utf8") + readFileSync("src/web/page/style.css", "utf8"),
  ),
  "process.env.NODE_ENV": JSON.stringify("production"),
};
// nanoid's entry for Node imports node:crypto, which under Bun evaluates the whole Node stream stack: about a fifth
// of `rv submit`'s start (a compiled binary that makes one id 24.5 ms, an empty one 13.6, on a slow machine). Its
// browser entry is the same library drawing from Web Crypto (globalThis.crypto), which Bun and Node 20 both have.
const nanoidOnWebCrypto: BunPlugin = {
  name: "nanoid-on-web-crypto",
  setup(build) {
    build.onResolve({ filter: /^nanoid$/ }, () => ({ path: resolve("node_modules/nanoid/index.browser.js") }));
  },
};
const common = {
  entrypoints: ["src/cli/main.ts"],
  minify: true,
  sourcemap: "none" as const,
  define,
  plugins: [nanoidOnWebCrypto],
};

// Bytecode halves start-up time (every `rv submit` pays it). ESM, because Ink and yoga-layout use top-level await,
// which a CommonJS bundle cannot hold. Bun 1.4 compiles ESM bytecode too: `rv --version` 36 ms (CJS 32, none 60).
// Splitting: each dynamically imported command is its own chunk in the binary, loaded when it runs; one chunk
// of everything cost every command ~7 ms of loading before any code ran (`rv --version` 33 ms -> 7 ms).
// jitPolicy: JavaScriptCore tiers a function up (baseline, then optimizing JIT) 100 times later than by default. A
// command is over in tens of milliseconds, sooner than compiling its hot functions pays: `rv tasks` took 42 ms of
// CPU, 28 at 8 (2: 37, 4: 30, 16: 27); at 100 no JIT thread starts at all, and submit, tasks and status each lose
// another 4-12 ms of their 55-75 (bench/changes.md, step 8). What works long compiles as usual from where it starts
// (src/jit.ts: the runner, rv ui, rv tui, a listing that reads every task, an index rebuild); missed, such work runs
// slower (`rv tasks --json -n 0` over 30,000 tasks: 288 ms at 8, 295 at 100, 275 with the policy set back; the done
// index of 30,000 rebuilt: 1.4 s at 8, 1.7 at 100).
// bench/startup.mjs compiles its stack floor with the same value (--compile-jit-policy): change both together.
const compile = { outfile: "dist/rv", jitPolicy: 100, autoloadDotenv: false, autoloadBunfig: false };
const binaryBuild = (bytecodeOrder?: string[]) =>
  Bun.build({
    ...common,
    format: "esm",
    bytecode: true,
    splitting: true,
    // Nothing in the directory rv runs in is read by the runtime itself: by default a Bun binary loads a .env there
    // into its own environment and runs a bunfig.toml's `preload` scripts, so any directory rv is run in (a clone,
    // a shared scratch space) could set rv's variables or run code in it. rv reads a project's .env itself, for its
    // tasks (config/project.ts), as it does under Node.
    compile: bytecodeOrder ? { ...compile, bytecodeOrder } : compile,
  });
const bundle = await Bun.build({ ...common, target: "node", format: "esm", outdir: "dist", naming: "rv.mjs" });
succeeded(bundle);
await buildBinary();
// Second pass: the bytecode laid out in the order the commands run most often first call it, so a start reads its
// code from fewer pages of the binary (profile-guided, as a linker's function order is): `rv submit` ~100 fewer page
// faults and 3-5 ms, `rv tasks` ~3 ms, `rv --version` 1.5-4 ms (bench/changes.md, step 14). The binary just built
// records the order, run in a scratch RV_HOME; a function the order does not name keeps its place.
const orders = mkdtempSync(join(tmpdir(), "rv-bytecode-order-"));
try {
  await buildBinary(recordBytecodeOrder(resolve("dist/rv"), orders));
} finally {
  rmSync(orders, { recursive: true, force: true });
}
console.log(`built dist/rv and dist/rv.mjs (build ${JSON.parse(define.RV_BUILD_ID)})`);

async function buildBinary(bytecodeOrder?: string[]): Promise<void> {
  succeeded(await binaryBuild(bytecodeOrder));
  copyWhole("dist/rv");
  chmodSync("dist/rv", 0o755);
}

function succeeded(result: Awaited<ReturnType<typeof Bun.build>>): void {
  if (result.success) return;
  for (const log of result.logs) console.error(log);
  process.exit(1);
}

/**
 * The files of `BUN_BYTECODE_ORDER_OUT`, most important first: `rv submit -- true` into a live local lease, then
 * `rv tasks`, `rv status` and `rv --version` on it. The lease is started before and released after, unrecorded.
 */
function recordBytecodeOrder(rv: string, dir: string): string[] {
  const env = { PATH: process.env.PATH, HOME: dir, RV_HOME: join(dir, "home") };
  const runRv = (args: string[], orderFile?: string) =>
    execFileSync(rv, args, {
      cwd: dir,
      env: orderFile ? { ...env, BUN_BYTECODE_ORDER_OUT: orderFile } : env,
      stdio: ["ignore", "ignore", "pipe"],
    });
  runRv(["lease", "up", "--local", "--name", "order", "--cpus", "1"]);
  try {
    return [["submit", "--lease", "order", "--", "true"], ["tasks"], ["status"], ["--version"]].map((args, i) => {
      const file = join(dir, `order-${i}`);
      runRv(args, file);
      return file;
    });
  } finally {
    runRv(["lease", "release", "order", "--now", "--wait"]);
  }
}
