// Run with `bun scripts/check-ink-compiled.ts` (test/cli/ui/live-compiled.test.ts does): compiles
// scripts/ink-exit-demo.ts as scripts/build.ts compiles rv, runs it in an 80-column tmux terminal for each way out
// (done, Ctrl-C, an uncaught error, an error caught as src/cli/main.ts catches it, an error after a finally) and
// checks the exit code, that the last frame and the error stay readable, and that the cursor is shown again.
// Ink inside a bun-compiled binary has hung or kept the cursor hidden where Node did not, so only the binary can tell.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

interface ExitCase {
  mode: string;
  exitCode: number;
  /** Text the terminal must show at the end. */
  shows: string[];
}

const cases: ExitCase[] = [
  { mode: "done", exitCode: 0, shows: ["won by a6000:1x4:2h59m (job 812)"] },
  { mode: "ctrl-c", exitCode: 130, shows: ["allocating gpu1: 1 of 1 strategies racing"] },
  { mode: "throw", exitCode: 1, shows: ["allocating gpu1", "boom while drawing"] },
  { mode: "caught", exitCode: 1, shows: ["allocating gpu1", "rv: error: boom while drawing"] },
  { mode: "finally", exitCode: 1, shows: ["allocating gpu1", "rv: error: boom while drawing"] },
];

const dir = mkdtempSync(join(tmpdir(), "rv-ink-check-"));
const binary = join(dir, "ink-exit-demo");
// A private tmux server: nobody else's sessions are touched, and killing it ends only what this script started.
const tmux = (...args: string[]) =>
  execFileSync("tmux", ["-L", `rv-ink-check-${process.pid}`, "-f", "/dev/null", ...args], { encoding: "utf8" });

try {
  // The options of scripts/build.ts: its format and bytecode decide how Ink's top-level await is compiled.
  const build = await Bun.build({
    entrypoints: [join(import.meta.dirname, "ink-exit-demo.ts")],
    minify: true,
    sourcemap: "none",
    format: "esm",
    bytecode: true,
    define: { "process.env.NODE_ENV": JSON.stringify("production") },
    compile: { outfile: binary },
  });
  if (!build.success) throw new AggregateError(build.logs, "the demo did not compile");
  const failures = (await Promise.all(cases.map((c) => runCase(c)))).flat();
  for (const failure of failures) console.error(failure);
  console.log(failures.length ? `${failures.length} failed` : `all ${cases.length} exit paths are clean`);
  process.exitCode = failures.length ? 1 : 0;
} finally {
  try {
    tmux("kill-server");
  } catch {
    // No session was started.
  }
  rmSync(dir, { recursive: true, force: true });
}

async function runCase({ mode, exitCode, shows }: ExitCase): Promise<string[]> {
  const session = `rv-${mode}`;
  // The shell traps SIGINT so that Ctrl-C, sent to the whole foreground group, ends only the demo.
  const command = `trap : INT; ${binary} ${mode}; echo "exit=$?"; sleep 60`;
  tmux("new-session", "-d", "-s", session, "-x", "80", "-y", "24", command);
  if (mode === "ctrl-c") {
    await screenShows(session, "allocating gpu1");
    tmux("send-keys", "-t", session, "C-c");
  }
  const screen = await screenShows(session, "exit=");
  const problems = [
    ...(screen.includes(`exit=${exitCode}`) ? [] : [`expected exit=${exitCode}`]),
    ...shows.filter((text) => !screen.includes(text)).map((text) => `missing "${text}"`),
    ...(tmux("display-message", "-p", "-t", session, "#{cursor_flag}").trim() === "1" ? [] : ["the cursor is hidden"]),
  ];
  return problems.map((problem) => `${mode}: ${problem}; the terminal showed:\n${screen}`);
}

async function screenShows(session: string, text: string): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const screen = tmux("capture-pane", "-p", "-S", "-", "-t", session);
    if (screen.includes(text)) return screen;
    if (Date.now() > deadline) return `${screen}\n(still no "${text}" after 10 s: the program did not exit)`;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
