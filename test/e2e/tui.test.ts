import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { makeHome } from "../helpers/home.ts";
import { json } from "../helpers/lease.ts";
import { assertBuilt, RV_BIN, rv } from "../helpers/rv.ts";
import { tmuxTerminal } from "../helpers/tmux.ts";
import { waitFor } from "../helpers/wait.ts";

// `rv tui` in a real 80x24 terminal (tmux) against a local lease with live tasks: the keys a person presses,
// the screen they see after each, and what really happened to the tasks.
const home = makeHome("rv-tui-");
const term = tmuxTerminal("rv-tui");

interface TaskJson {
  id: string;
  name: string | null;
  state: string;
}

const tasks = async () => json<{ tasks: TaskJson[] }>(String((await rv(home.root, ["tasks", "--json"])).stdout)).tasks;
const stateOf = async (name: string) => (await tasks()).find((t) => t.name === name)?.state;
/** The shell line that runs `rv tui` (as `rv`, a command) in a tmux terminal against the test's home. */
const tuiLine = (rv: string) => `env RV_HOME=${home.root} NO_COLOR=1 TERM=xterm-256color ${rv} tui`;
const row = (screen: string, name: string) => screen.split("\n").find((line) => line.includes(` ${name} `)) ?? "";

beforeAll(async () => {
  assertBuilt();
  expect((await rv(home.root, ["lease", "up", "--local", "--cpus", "2"])).exitCode).toBe(0);
  await rv(home.root, ["submit", "--name", "sleeper", "--", "sleep", "300"]);
  await rv(home.root, ["submit", "--name", "hello", "--shell", "echo hello-out; echo hello-err >&2"]);
  await rv(home.root, ["submit", "--name", "failing", "--shell", "exit 3"]);
  await waitFor(async () => (await stateOf("sleeper")) === "running" && (await stateOf("failing")) === "failed", {
    what: "the tasks to run and end",
    timeoutMs: 20_000,
  });
  term.start(tuiLine(RV_BIN));
});

afterAll(async () => {
  term.kill();
  await rv(home.root, ["lease", "release", "--all", "--now"]);
  home.cleanup();
});

describe("rv tui in a real terminal", () => {
  test("shows the lease, its runner and its tasks, newest first, with the selected one's detail", async () => {
    const screen = await term.until("the tasks", (s) => s.includes("sleeper") && s.includes("failing"));
    expect(screen.split("\n")[0]).toMatch(/^rv tui .*1 lease.*1 running.*local/);
    expect(screen).toMatch(/ok\s+beat \ds/);
    expect(row(screen, "failing")).toMatch(/^>.*failing\s+failed/);
    expect(screen).toContain("exit 3");
    for (const line of screen.split("\n")) expect(line.length).toBeLessThanOrEqual(80);
  });

  test("j moves down; Enter opens the menu; logs shows stdout, e switches to stderr", async () => {
    term.keys("j", "Enter");
    await term.until("the menu", (s) => /logs/.test(s) && /retry/.test(s));
    term.keys("Enter");
    await term.until("hello's stdout", (s) => /logs \S+ stdout/.test(s) && s.includes("hello-out"));
    term.keys("e");
    const err = await term.until("hello's stderr", (s) => /logs \S+ stderr/.test(s) && s.includes("hello-err"));
    expect(err).not.toContain("hello-out");
    term.keys("Escape");
  });

  test("F filters to running; cancel asks first, n keeps the task, y cancels it for real", async () => {
    term.keys("F", "F");
    const running = await term.until("the running filter", (s) => s.includes("[running]"));
    expect(running).toContain("sleeper");
    expect(running).not.toContain("failing");
    term.keys("Enter", "j", "Enter");
    await term.until("the question", (s) => /cancel task \S+ \(sleeper\)\? y\/N/.test(s));
    term.keys("n");
    await term.until("that nothing was done", (s) => /cancel of \S+: not done/.test(s));
    expect(await stateOf("sleeper")).toBe("running");
    term.keys("Enter", "j", "Enter", "y");
    await term.until("the cancel's outcome", (s) => /cancel \S+ \(sleeper\): cancell/.test(s));
    await waitFor(async () => (await stateOf("sleeper")) === "cancelled", { what: "sleeper to be cancelled" });
    await term.until("the running filter empty", (s) => s.includes("no tasks (filter: running)"));
  });

  test("/ searches by name; a adds a task that runs", async () => {
    term.keys("F", "F", "F", "F", "F", "F");
    await term.until("every task", (s) => s.includes("[all]"));
    term.keys("/");
    term.type("hel");
    term.keys("Enter");
    // The typed line shows "/hel" before Enter is read: wait for the list the search leaves.
    await term.until(
      "the search to leave hello alone",
      (s) => s.includes("/hel") && s.includes("hello") && !s.includes("sleeper"),
    );
    term.keys("/", "BSpace", "BSpace", "BSpace", "Enter", "a");
    term.type("name=added echo added-out");
    term.keys("Enter");
    await term.until("the new task", (s) => /added \S+ to local/.test(s) && s.includes(" added "));
    await waitFor(async () => (await stateOf("added")) === "succeeded", { what: "the added task to run" });
  });

  test("follows a resize of the terminal", async () => {
    term.resize(120, 30);
    const wide = await term.until("the wider screen", (s) => (s.split("\n")[0] ?? "").length > 100);
    expect(wide.split("\n").length).toBeGreaterThanOrEqual(30);
    for (const line of wide.split("\n")) expect(line.length).toBeLessThanOrEqual(120);
    term.resize(80, 24);
    await term.until("the narrow screen again", (s) => s.split("\n").every((line) => line.length <= 80));
  });

  test("? shows the keys; q quits with status 0 and gives the terminal back as it was", async () => {
    term.keys("?");
    await term.until("the help", (s) => /search/.test(s) && /quit/.test(s) && /zoom/.test(s));
    term.keys("Escape", "q");
    await waitFor(() => term.exitStatus() !== "", { what: "rv tui to exit" });
    expect(term.exitStatus()).toBe("0");
    expect(term.screen()).not.toContain("rv tui");
  });
});

describe("rv tui ended by a signal", () => {
  const signalled = tmuxTerminal("rv-tui-term");
  afterAll(() => signalled.kill());

  test("SIGTERM ends it with status 0 and the terminal as it was", async () => {
    signalled.start(tuiLine(RV_BIN));
    await signalled.until("the tasks", (s) => s.includes("hello"));
    process.kill(signalled.commandPid(), "SIGTERM");
    await waitFor(() => signalled.exitStatus() !== "", { what: "rv tui to exit" });
    expect(signalled.exitStatus()).toBe("0");
    expect(signalled.screen()).not.toContain("rv tui");
  });
});

describe("rv tui that crashes", () => {
  const crashed = tmuxTerminal("rv-tui-crash");
  afterAll(() => crashed.kill());

  // A real uncaught exception inside the running TUI, thrown by a module preloaded into the Node bundle (the
  // compiled binary cannot preload one) when the test sends SIGUSR2: no hook in rv itself.
  test("an uncaught exception gives the terminal back and the error stays on screen, with a non-zero status", async () => {
    const crash = join(home.root, "crash.mjs");
    writeFileSync(crash, 'process.on("SIGUSR2", () => setImmediate(() => { throw new Error("rv-test-crash"); }));\n');
    const bundle = join(import.meta.dirname, "..", "..", "bin", "rv.js");
    crashed.start(tuiLine(`node --import ${crash} ${bundle}`));
    await crashed.until("the tasks", (s) => s.includes("hello"));
    process.kill(crashed.commandPid(), "SIGUSR2");
    await waitFor(() => crashed.exitStatus() !== "", { what: "rv tui to exit" });
    expect(crashed.exitStatus()).not.toBe("0");
    expect(crashed.alternateScreen()).toBe(false);
    expect(crashed.cursorShown()).toBe(true);
    const screen = crashed.screen();
    expect(screen).not.toContain("rv tui  ");
    expect(screen).toContain("rv-test-crash");
  });
});

describe("rv tui --tag", () => {
  const tagged = tmuxTerminal("rv-tui-tag");
  afterAll(() => tagged.kill());

  test("shows only the tasks with the tag, and says so in the table's title", async () => {
    await rv(home.root, ["submit", "--name", "tagged-one", "--tag", "sw-x", "--", "true"]);
    tagged.start(`${tuiLine(RV_BIN)} --tag sw-x`);
    const screen = await tagged.until("the tagged task", (s) => s.includes("tagged-one"));
    expect(screen).toContain("tag:sw-x");
    expect(screen).not.toContain("sleeper");
    expect(screen).not.toContain("failing");
  });
});
