import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { makeHome } from "../helpers/home.ts";
import { releaseAll } from "../helpers/lease.ts";
import { assertBuilt, RV_BIN, rv } from "../helpers/rv.ts";
import { tmuxTerminal } from "../helpers/tmux.ts";

// `rv wait` in a real terminal (tmux): five tasks of a tag run one at a time in a 1-CPU lease, one of them fails.
// While they run, one line on stderr counts them and, once a task has finished, estimates the time left; at the
// end the line is gone and only the result is left on the screen.
const home = makeHome("rv-wait-progress-");
const term = tmuxTerminal("rv-wait-progress", { columns: 100, rows: 24 });

beforeAll(async () => {
  assertBuilt();
  expect((await rv(home.root, ["lease", "up", "--local", "--cpus", "1"])).exitCode).toBe(0);
  const submit = (...args: string[]) => rv(home.root, ["submit", "--tag", "batch", ...args]);
  await submit("--", "sleep", "1");
  await submit("--shell", "exit 3");
  for (let i = 0; i < 3; i++) await submit("--", "sleep", "1.5");
  term.start(`env RV_HOME=${home.root} NO_COLOR=1 ${RV_BIN} wait --tag batch`);
});

afterAll(async () => {
  term.kill();
  await releaseAll(home.root);
  home.cleanup();
});

describe("rv wait on a terminal", () => {
  test("a progress line counts done, failed and running tasks, with elapsed time and an ETA", async () => {
    const screen = await term.until("the progress line with a failure and an ETA", (s) =>
      /waiting: [2-4]\/5 done, 1 failed, 1 running, \d+s elapsed, ETA ~\d+s/.test(s),
    );
    // One line, redrawn in place: never a second copy of it.
    expect(screen.match(/waiting:/g)).toHaveLength(1);
  });

  test("the line is cleared at the end, leaving the tasks and their states; exit 1 for the failure", async () => {
    const screen = await term.until("the wait to end", (s) => /\[exit \d+\]/.test(s), 30_000);
    expect(term.exitStatus()).toBe("1");
    expect(screen).not.toContain("waiting:");
    expect(screen.match(/\ssucceeded/g)).toHaveLength(4);
    expect(screen).toMatch(/\s+failed/);
  });

  test("not on a terminal (a pipe), the same wait draws no progress", async () => {
    const result = await rv(home.root, ["wait", "--tag", "batch"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe("");
  });
});
