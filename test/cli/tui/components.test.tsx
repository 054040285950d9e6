import { stripVTControlCharacters } from "node:util";
import chalk from "chalk";
import { render } from "ink-testing-library";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TuiApp, type TuiAppProps } from "../../../src/cli/tui/app.tsx";
import type { TuiState } from "../../../src/cli/tui/state.ts";
import type { Connection } from "../../../src/cli/tui/view.ts";
import { paintForStderr } from "../../../src/cli/ui/color.ts";
import type { TuiSnapshot } from "../../../src/ops/tui-snapshot.ts";
import { localConnection, now, race, racingLease, slurmLease, snapshot, task, tasks, withState } from "./fixtures.ts";

interface Screen {
  state?: Partial<TuiState>;
  snapshot?: TuiSnapshot | null;
  connection?: Connection;
  width?: number;
  height?: number;
}

function props(screen: Screen = {}): TuiAppProps {
  return {
    snapshot: screen.snapshot === undefined ? snapshot : screen.snapshot,
    state: withState(screen.state ?? {}),
    width: screen.width ?? 80,
    height: screen.height ?? 24,
    nowMs: now,
    connection: screen.connection ?? localConnection,
  };
}

function frame(screen: Screen = {}): string {
  return render(<TuiApp {...props(screen)} />).lastFrame() ?? "";
}

function lines(text: string): string[] {
  return text.split("\n");
}

/** The row that holds `text`, wherever it is on the screen. */
function row(text: string, screen: string): string {
  return lines(screen).find((line) => line.includes(text)) ?? `(no row with ${text})`;
}

function expectToFit(screen: string, width: number, height: number): void {
  const rows = lines(screen);
  expect(rows.length).toBeLessThanOrEqual(height);
  for (const line of rows) expect([...stripVTControlCharacters(line)].length).toBeLessThanOrEqual(width);
}

const ESC = "\u001b[";
const colorLevel = chalk.level;
beforeEach(() => {
  chalk.level = 0;
});
afterEach(() => {
  chalk.level = colorLevel;
});

describe("TuiApp on an 80x24 terminal", () => {
  it("shows the header, the leases with their runners, the newest tasks, the selected task and the keys", () => {
    expect(frame()).toMatchInlineSnapshot(`
      "rv tui  2 leases · 3 running · 2 pending · 2 stuck      local · refreshed 2s ago
        leases
      > all leases
        local  gpus 3/4 busy                             local
          lab-pc pid 4242  ok     beat 1s     1 running  gpus 2/3 busy
          lab-pc pid 4100  stale  beat 1m35s  1 running  gpus 1/1 busy
        gpu4   gpus 1/4 busy  1h30m left  overlap 2m00s  running (segment 2, job 815)
          node07 pid 77    ok     beat 2s     1 running  gpus 1/4 busy
      ▸ tasks [recent]  1/13
          ID        NAME       STATE      GPUS     NODE    ATT  ELAPSED
      >   2b12d4pk  lr-1e-5    pending    1        -       1    1h28m
          2b11s7nc  lr-3e-5    pending    1        -       1    1h29m
          2b10r2hq  lr-1e-4    running    1 [0]    node07  1    5m00s
          2b09e0ty  lr-3e-4    running    2 [0,1]  lab-pc  1    12m00s
       !  2b08w6ji  stuck-run  running    1 [2]    lab-pc  1    25m00s
       !  2b07l3fo  lost-one   lost       1        lab-pc  1    30m00s
        task mkn0a2b12d4pk lr-1e-5
      command  python train.py
      cwd      /home/me/proj
      result   pending, attempt 1
      gpus     1 · 4 cpus
      times    submitted 1h28m ago

      ↑↓/jk move  h/l pane  ⏎ menu  a add  F filter  / search  z zoom  f follow  e ou…"
    `);
  });
});

describe("TuiApp at any size", () => {
  it("fills 80x24 and 120x40 without a row too many or a column too wide, and redraws to a resize", () => {
    const app = render(<TuiApp {...props()} />);
    expectToFit(app.lastFrame() ?? "", 80, 24);
    app.rerender(<TuiApp {...props({ width: 120, height: 40 })} />);
    const tall = app.lastFrame() ?? "";
    expectToFit(tall, 120, 40);
    expect(row("overlap", tall)).toContain("running (segment 2, job 815)");
    app.rerender(<TuiApp {...props({ width: 50, height: 12 })} />);
    expectToFit(app.lastFrame() ?? "", 50, 12);
  });

  it("gives a taller screen's rows to the tasks table", () => {
    const taskRows = (height: number) => lines(frame({ height, width: 120 })).filter((l) => / 2b\d\d/.test(l)).length;
    expect(taskRows(24)).toBe(6);
    expect(taskRows(40)).toBe(13);
  });

  it("cuts long names, reasons and errors with an ellipsis instead of wrapping them", () => {
    const long = task({ id: "mkn0a2b99zzzz", state: "failed", name: `sweep-${"x".repeat(200)}`, reason: "a\nb" });
    const screen = frame({ snapshot: { ...snapshot, tasks: [long] } });
    expect(row("sweep-", screen)).toMatch(/…/);
    expect(screen).toContain("failed, attempt 1 · a b");
    expectToFit(screen, 80, 24);
  });

  it("says it is loading until the first snapshot comes", () => {
    const screen = frame({
      snapshot: null,
      connection: { ...localConnection, lastOkMs: null, inFlightSinceMs: now - 500 },
    });
    expect(lines(screen)[0]).toMatch(/^rv tui {2}loading… +local · connecting…$/);
    expectToFit(screen, 80, 24);
  });
});

describe("header", () => {
  const ssh: Connection = { kind: "ssh", where: "rv-dev", lastOkMs: now - 3000, inFlightSinceMs: null, error: null };

  it("shows how fresh the data is, and a refresh that takes long", () => {
    expect(lines(frame({ connection: ssh }))[0]).toContain("ssh rv-dev · refreshed 3s ago");
    expect(lines(frame({ connection: { ...ssh, inFlightSinceMs: now - 1000 } }))[0]).toContain("refreshed 3s ago");
    expect(lines(frame({ connection: { ...ssh, inFlightSinceMs: now - 4000 } }))[0]).toContain(
      "ssh rv-dev · refreshing… 4s",
    );
  });

  it("shows a broken connection, even when its error is long, and keeps the title", () => {
    const lost = { ...ssh, lastOkMs: now - 12_000, error: "connection lost" };
    expect(lines(frame({ connection: lost }))[0]).toContain("ssh rv-dev: connection lost 12s ago");
    const verbose = { ...lost, error: `ssh: connect to host rv-dev port 22: ${"Connection refused ".repeat(9)}\n` };
    const top = lines(frame({ connection: verbose }))[0] ?? "";
    expect(top).toMatch(/^rv tui .*ssh rv-dev: ssh: connect to host rv-dev port 22: .*…$/);
    expect([...top].length).toBeLessThanOrEqual(80);
  });
});

describe("leases pane", () => {
  it("marks the selected lease, and keeps it in view when the leases do not fit", () => {
    const many = Array.from({ length: 12 }, (_, i) => ({ ...slurmLease, id: `lease${i}` }));
    const screen = frame({ snapshot: { ...snapshot, leases: many }, state: { focus: "leases", leaseId: "lease9" } });
    expect(screen).toContain("> lease9");
    expect(screen).not.toContain("all leases");
    expect(lines(screen)[1]).toBe("▸ leases");
  });

  it("shows a Slurm lease's trouble and a runner that stopped beating", () => {
    const failing = {
      ...slurmLease,
      phase: "retrying in 30s (2 failures)",
      phaseTone: "wait" as const,
      renewalGapSeconds: 3,
    };
    const screen = frame({ snapshot: { ...snapshot, leases: [failing] } });
    expect(row("gpu4", screen)).toContain("gap 3s  retrying in 30s (2 failures)");
    expect(row("pid 4100", frame())).toContain("stale  beat 1m35s");
  });

  it("shows each part of a lease of parts under it: its segment, its job, a part still queued, and where", () => {
    const parts = [
      { part: 0, segment: 4, jobId: "815", state: "RUNNING", partition: "gpu-a100-80" },
      { part: 1, segment: 1, jobId: "816", state: "PENDING", partition: "gpu-a6000,gpu-a100-80" },
      { part: 2, segment: 2, jobId: "817", state: "RUNNING" },
    ];
    const screen = frame({ snapshot: { ...snapshot, leases: [{ ...slurmLease, parts }] }, height: 30 });
    expect(row("part 0", screen)).toMatch(/^ {4}part 0 {2}segment 4 {2}job 815 {2}RUNNING {2}in gpu-a100-80$/);
    expect(row("part 1", screen)).toMatch(
      /^ {4}part 1 {2}segment 1 {2}job 816 {2}PENDING {2}in gpu-a6000,gpu-a100-80$/,
    );
    expect(row("part 2", screen)).toMatch(/^ {4}part 2 {2}segment 2 {2}job 817 {2}RUNNING$/);
    expect(lines(screen).findIndex((l) => l.includes("part 1"))).toBeLessThan(
      lines(screen).findIndex((l) => l.includes("node07 pid 77")),
    );
  });
});

describe("tasks pane", () => {
  it("marks the selected task with > and the stuck ones with !", () => {
    const screen = frame({ state: { taskId: "mkn0a2b09e0ty" } });
    expect(row("lr-3e-4", screen)).toMatch(/^> {3}2b09e0ty/);
    expect(row("lr-1e-5", screen)).toMatch(/^ {4}2b12d4pk/);
    expect(row("stuck-run", screen)).toMatch(/^ ! {2}2b08w6ji/);
    expect(row("lost-one", screen)).toMatch(/^ ! {2}2b07l3fo/);
  });

  it("shows the filter and the search in its title", () => {
    const screen = frame({ state: { filter: "running", search: "lr" } });
    expect(row("tasks", screen)).toBe("▸ tasks [running] /lr  1/2");
    expect(screen).toContain("lr-1e-4");
    expect(screen).not.toContain("stuck-run");
  });

  it("shows only the stuck ones under the stuck filter", () => {
    const screen = frame({ state: { filter: "stuck" } });
    expect(lines(screen).filter((l) => l.startsWith(">!") || l.startsWith(" !"))).toHaveLength(2);
  });

  it("shows elapsed time by state: waited, running so far, ran", () => {
    const screen = frame({ height: 40 });
    expect(row("lr-3e-5", screen)).toMatch(/pending .* 1h29m$/);
    expect(row("lr-3e-4", screen)).toMatch(/running +2 \[0,1\] +lab-pc +1 +12m00s$/);
    expect(row("flaky", screen)).toMatch(/succeeded +1 +lab-pc +2 +10m00s$/);
    expect(row("never-ran", screen)).toMatch(/cancelled +1 +- +1 +-$/);
  });

  it("scrolls to keep the selected task in view", () => {
    const many = Array.from({ length: 60 }, (_, i) =>
      task({
        id: `mkn0a3c${String(i).padStart(2, "0")}abcd`,
        state: "pending",
        name: `run-${i}`,
        submittedAt: new Date(now - i * 1000).toISOString(),
      }),
    );
    const screen = frame({ snapshot: { ...snapshot, tasks: many }, state: { filter: "all", taskId: "mkn0a3c57abcd" } });
    expect(row("run-57", screen)).toMatch(/^> /);
    expect(screen).not.toContain("run-0 ");
    expect(row("tasks", screen)).toContain("58/60");
  });

  it("says how to add a task when none is shown", () => {
    expect(frame({ state: { filter: "failed", search: "nothing-like-it" } })).toContain(
      "no tasks (filter: failed, search: nothing-like-it) — press a to add one",
    );
    expect(frame({ snapshot: { ...snapshot, tasks: [] } })).toContain("no tasks (filter: recent) — press a to add one");
  });
});

describe("detail pane", () => {
  it("shows everything about the selected task", () => {
    const screen = frame({ state: { taskId: "mkn0a2b03c4me" }, height: 40 });
    const detail = lines(screen).slice(lines(screen).indexOf("  task mkn0a2b03c4me bs-512"));
    expect(detail.slice(0, 6)).toEqual([
      "  task mkn0a2b03c4me bs-512",
      "command  python train.py",
      "cwd      /home/me/proj",
      "result   failed, attempt 1 · killed by SIGKILL",
      "gpus     1 · 4 cpus · lab-pc (runner lab-pc-4242-aaaaaa)",
      "times    submitted 1h37m ago · started 1h10m ago · ended 1h00m ago",
    ]);
  });

  it("shows a shell command, the exit code, tags and note", () => {
    const screen = frame({ state: { taskId: "mkn0a2b01h2kd" }, height: 40 });
    expect(screen).toContain("command  python prep.py && touch done");
    expect(screen).toContain("result   succeeded, attempt 1 · exit 0");
    expect(screen).toContain("tags     data, v2");
    expect(screen).toContain("note     the split used by every run after it");
  });
});

describe("race pane", () => {
  const withRace = (lease = racingLease): TuiSnapshot => ({ ...snapshot, leases: [...snapshot.leases, lease] });
  const raceScreen = (state: Partial<TuiState> = {}, lease = racingLease) =>
    frame({ snapshot: withRace(lease), state: { leaseId: "gpu5", ...state } });

  it("shows the selected lease's race in place of the task detail, every strategy on 80x24", () => {
    const screen = raceScreen();
    expectToFit(screen, 80, 24);
    const pane = lines(screen).slice(lines(screen).indexOf("allocating gpu5: 2 of 3 strategies racing"), -1);
    expect(pane.filter(Boolean)).toMatchInlineSnapshot(`
      [
        "allocating gpu5: 2 of 3 strategies racing",
        "#  STRATEGY           JOB  STATE     START  REASON",
        "1  a6000:1x4:2h59m    812  pending   in 3m  Priority",
        "2  mig:1x1:2h59m      813  starting  now",
        "3  a100_80:2x2:2h59m  -    refused   -      sbatch: error: Batch job submission…",
      ]
    `);
    expect(screen).not.toContain("no task selected");
  });

  it("cuts a race too tall for the pane at its foot, the title and header kept", () => {
    const short = frame({ snapshot: withRace(), state: { leaseId: "gpu5" }, width: 50, height: 12 });
    expectToFit(short, 50, 12);
    expect(lines(short).slice(-4, -1)).toMatchInlineSnapshot(`
      [
        "allocating gpu5: 2 of 3 strategies racing",
        "#  STRATEGY           JOB  STATE     START  REASON",
        "1  a6000:1x4:2h59m    812  pending   in 3m  Prior…",
      ]
    `);
  });

  it("says who won once a strategy has", () => {
    const won = { ...racingLease, race: race.map((r) => (r.rank === 2 ? { ...r, state: "won" as const } : r)) };
    const screen = raceScreen({}, won);
    expect(row("allocating", screen)).toBe("allocating gpu5");
    expect(screen).toContain("won by mig:1x1:2h59m (job 813)");
    expectToFit(screen, 80, 24);
  });

  it("leaves the logs to the logs, and a lease not racing to the detail", () => {
    expect(raceScreen({ pane: "logs" })).not.toContain("allocating gpu5");
    expect(raceScreen({ leaseId: "gpu4" })).not.toContain("allocating");
    expect(raceScreen({ leaseId: null })).not.toContain("allocating");
  });
});

describe("log pane", () => {
  const selected = "mkn0a2b12d4pk";
  const text = `${Array.from({ length: 40 }, (_, i) => `step ${i} loss ${(4 - i / 10).toFixed(2)}`).join("\n")}\n`;
  const withLog = (log: Partial<TuiSnapshot["logs"][number]> = {}): TuiSnapshot => ({
    ...snapshot,
    logs: [{ taskId: selected, stream: "stdout", text, bytes: 90_000, ...log }],
  });
  const logs = (state: Partial<TuiState>, log = withLog()) =>
    frame({ snapshot: log, state: { pane: "logs", ...state } });

  it("follows the end of the selected task's log", () => {
    const screen = logs({});
    expect(screen).toContain(`logs ${selected} stdout [follow]  (e: stderr)`);
    expect(lines(screen).slice(-3)).toEqual(["step 38 loss 0.20", "step 39 loss 0.10", lines(screen).at(-1)]);
  });

  it("scrolls up by the state's lines, never above the first screenful", () => {
    const up = logs({ follow: false, scroll: 10 });
    expect(up).toContain(`logs ${selected} stdout [scroll -10]`);
    expect(lines(up).at(-2)).toBe("step 29 loss 1.10");
    expect(lines(logs({ follow: false, scroll: 500 })).at(-2)).toBe("step 5 loss 3.50");
  });

  it("waits for the tail of this task and stream, not the one on hand", () => {
    expect(logs({}, withLog({ taskId: "mkn0a2b11s7nc" }))).toContain("loading…");
    const stderr = logs({ stream: "stderr" });
    expect(stderr).toContain(`logs ${selected} stderr [follow]  (e: stdout)`);
    expect(stderr).toContain("loading…");
    expect(stderr).not.toContain("step 39");
  });

  it("shows what a terminal would of progress bars and coloured output", () => {
    const bars = "epoch 1\n 10%|█         |\r 50%|█████     |\r100%|██████████|\r\n\u001b[31mred error\u001b[0m\n";
    const screen = logs({}, withLog({ text: bars }));
    const body = lines(screen);
    const at = body.indexOf("epoch 1");
    expect(body.slice(at, at + 3)).toEqual(["epoch 1", "100%|██████████|", "red error"]);
    expect(logs({}, withLog({ text: "" }))).toContain("(no output yet)");
  });

  it("takes the whole screen between header and hints when zoomed", () => {
    const screen = logs({ zoom: true });
    expect(screen).not.toContain("all leases");
    expect(screen).not.toContain("ELAPSED");
    expect(lines(screen)[1]).toContain(`logs ${selected} stdout [follow]`);
    expect(lines(screen).slice(2, -1)).toHaveLength(21);
    expect(lines(screen).at(-2)).toBe("step 39 loss 0.10");
    expectToFit(screen, 80, 24);
  });
});

describe("overlays and the last line", () => {
  it("opens the task's menu over the table, the chosen item marked", () => {
    const task = tasks.find((t) => t.name === "lr-1e-5");
    if (!task) throw new Error("fixture lost its lr-1e-5 task");
    const screen = frame({ state: { mode: { kind: "menu", task, items: ["logs", "cancel", "requeue"], index: 1 } } });
    expect(screen).toContain("│ task 2b12d4pk lr-1e-5 │");
    expect(screen).toContain("│ > cancel              │");
    expect(screen).toContain("│   requeue             │");
    expectToFit(screen, 80, 24);
  });

  it("asks before a destructive action", () => {
    const stuck = tasks.find((t) => t.name === "stuck-run");
    if (!stuck) throw new Error("fixture lost its stuck task");
    const screen = frame({ state: { mode: { kind: "confirm", action: "cancel", task: stuck } } });
    expect(screen).toContain("cancel task mkn0a2b08w6ji (stuck-run)? y/N");
  });

  it("shows every key in the help box", () => {
    const screen = frame({ state: { mode: { kind: "help" } } });
    for (const key of ["PgUp PgDn", "F ", "esc", "q "]) expect(screen).toContain(`│ ${key}`);
    expectToFit(screen, 80, 24);
  });

  it("types the search and the command to add at the bottom", () => {
    expect(lines(frame({ state: { mode: { kind: "search", draft: "lr=3e-4" } } })).at(-1)).toBe("/lr=3e-4▏");
    const add = frame({
      state: { leaseId: "gpu4", mode: { kind: "add", lease: "gpu4", draft: "gpus=1 python train.py" } },
    });
    expect(lines(add).at(-1)).toBe("add to gpu4: gpus=1 python train.py▏");
    const long = frame({ state: { mode: { kind: "search", draft: `${"a".repeat(100)}end` } } });
    expect(lines(long).at(-1)).toMatch(/^\/….*end▏$/);
  });

  it("shows the last action's message in place of the keys", () => {
    const screen = frame({ state: { message: "cancel of mkn0a2b12d4pk: not done" } });
    expect(lines(screen).at(-1)).toBe("cancel of mkn0a2b12d4pk: not done");
  });
});

describe("colour", () => {
  it("paints state, stuck tasks and stale runners, and highlights the selected row", () => {
    chalk.level = 1;
    const screen = frame({ state: { taskId: "mkn0a2b09e0ty" } });
    expect(row("stuck-run", screen)).toContain(`${ESC}31m`);
    expect(row("pid 4100", screen)).toContain(`${ESC}31m`);
    expect(row("lr-3e-4", screen)).toContain(`${ESC}7m`);
    expectToFit(screen, 80, 24);
    const failed = { ...slurmLease, phase: "failed: segment 3 ended NODE_FAIL", phaseTone: "bad" as const };
    expect(row("failed: segment", frame({ snapshot: { ...snapshot, leases: [failed] } }))).toContain(`${ESC}31m`);
  });

  it("draws no escape codes under NO_COLOR, and the markers still show the selection", () => {
    paintForStderr({ NO_COLOR: "1" });
    for (const mode of [{ kind: "browse" }, { kind: "help" }, { kind: "search", draft: "x" }] as const) {
      const screen = frame({ state: { mode, taskId: "mkn0a2b09e0ty" } });
      expect(screen).not.toContain(ESC);
    }
    const screen = frame({ state: { taskId: "mkn0a2b09e0ty" } });
    expect(row("lr-3e-4", screen)).toMatch(/^> /);
    expect(row("stuck-run", screen)).toMatch(/^ ! /);
    expect(row("tasks [", screen)).toMatch(/^▸ /);
  });
});
