import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { makeHome } from "../helpers/home.ts";
import { releaseAll } from "../helpers/lease.ts";
import { need } from "../helpers/need.ts";
import { assertBuilt, RV_BIN, rv } from "../helpers/rv.ts";
import { tmuxTerminal } from "../helpers/tmux.ts";

// The tables rv prints at a real terminal (tmux), in color: a state or a runner's health is painted, and the
// columns after it still line up under their headers (the color codes take no room on the screen). On a terminal
// narrower than the table, the free-text columns are cut to fit instead of every row wrapping.
const home = makeHome("rv-terminal-tables-");
const term = tmuxTerminal("rv-terminal-tables", { columns: 160, rows: 30 });
const narrow = tmuxTerminal("rv-terminal-tables-80", { columns: 80, rows: 24 });
const LONG = "echo a command far too long for one line of an eighty-column terminal, and then some";

beforeAll(async () => {
  assertBuilt();
  await need("tmux");
  expect((await rv(home.root, ["lease", "up", "--local", "--cpus", "2"])).exitCode).toBe(0);
  await rv(home.root, ["submit", "--name", "ok", "--", "true"]);
  await rv(home.root, ["submit", "--name", "boom", "--shell", "exit 3"]);
  await rv(home.root, ["submit", "--name", "a-rather-long-experiment-name", "--shell", LONG]);
  expect((await rv(home.root, ["wait", "--all"])).exitCode).toBe(1);
  const rvAt = `env -u NO_COLOR RV_HOME=${home.root} ${RV_BIN}`;
  term.start(`${rvAt} tasks && ${rvAt} status`);
  narrow.start(`${rvAt} tasks`);
}, 60_000);

afterAll(async () => {
  term.kill();
  narrow.kill();
  await releaseAll(home.root);
  home.cleanup();
});

/** The rows under the header line that starts with `first`, up to the first blank line or unindented other text. */
function table(screen: string, first: string, isRow: (line: string) => boolean): { header: string; rows: string[] } {
  const lines = screen.split("\n");
  const at = lines.findIndex((line) => line.trimStart().startsWith(first));
  expect(at, `a header starting with ${first} in:\n${screen}`).toBeGreaterThanOrEqual(0);
  const rows: string[] = [];
  for (const line of lines.slice(at + 1)) {
    if (!isRow(line)) break;
    rows.push(line);
  }
  return { header: lines[at] ?? "", rows };
}

describe("tables at a terminal, in color", () => {
  test("rv tasks: each column starts where its header does", async () => {
    const screen = await term.until("both tables", (s) => /\[exit \d+\]/.test(s));
    expect(term.exitStatus()).toBe("0");
    const { header, rows } = table(screen, "ID ", (line) => /^\w{13}\s/.test(line));
    expect(rows).toHaveLength(3);
    const column = (name: string) => header.indexOf(name);
    for (const row of rows) {
      expect(row.slice(column("STATE"))).toMatch(/^(succeeded|failed)\s/);
      expect(row.slice(column("ATT"))).toMatch(/^1\s/);
      expect(row.slice(column("RESULT"))).toMatch(/^(exit 3|\s)/);
      expect(row.slice(column("COMMAND"))).toMatch(/^(true|exit 3|echo a command far too long .*…)$/);
    }
  });

  test("rv status: the runners' columns start where their headers do", async () => {
    const screen = await term.until("both tables", (s) => /\[exit \d+\]/.test(s));
    const { header, rows } = table(screen, "RUNNER ", (line) => line.startsWith("  "));
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(row?.slice(header.indexOf("RUNNER"))).toMatch(/^\S+\s/);
    expect(row?.slice(header.indexOf("HOST"))).toMatch(/^\S+\s/);
    expect(row?.slice(header.indexOf("HEALTH"))).toMatch(/^ok\s/);
    expect(row?.slice(header.indexOf("HEARTBEAT"))).toMatch(/^\d+s ago/);
    expect(row?.slice(header.indexOf("CPUS"))).toMatch(/^cpus 0\/2/);
  });

  test("rv tasks at 80 columns: a row a line, the ids and states whole, the long name and command cut", async () => {
    const screen = await narrow.until("the tasks", (s) => /\[exit \d+\]/.test(s));
    expect(narrow.exitStatus()).toBe("0");
    const { header, rows } = table(screen, "ID ", (line) => /^\w{13}\s/.test(line));
    expect(rows).toHaveLength(3);
    for (const line of [header, ...rows]) expect(line.length).toBeLessThanOrEqual(80);
    expect(rows.map((row) => row.slice(header.indexOf("STATE")).split(" ")[0])).toEqual([
      "succeeded",
      "failed",
      "succeeded",
    ]);
    const long = rows[2] ?? "";
    expect(long).toMatch(/ a-rather-\S*… /);
    expect(long).toMatch(/ echo a[^…]*…$/);
  });
});
