import { join } from "node:path";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PROTOCOL_VERSION, type RvEvent } from "../../src/fsqueue/index.ts";
import { killGroup, killOrphans, unfinishedStarts } from "../../src/runner/index.ts";
import { parseProcStat, readProcStart } from "../../src/runner/proc.ts";
import { makeHome } from "../helpers/home.ts";
import { waitFor } from "../helpers/wait.ts";
import { processRunning, readPids } from "./harness.ts";

function event(type: RvEvent["type"], task: string, attempt: number, extra: Partial<RvEvent> = {}): RvEvent {
  return { v: PROTOCOL_VERSION, time: new Date().toISOString(), runner: "r", type, task, attempt, ...extra };
}

describe("/proc/PID/stat", () => {
  it("parses a command name with spaces and parentheses", () => {
    const text = "4242 (my (weird) cmd) S 1 4240 4240 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 200";
    expect(parseProcStat(text)).toEqual({ state: "S", pgrp: 4240, startTime: 987654 });
  });

  it("reads this process's start time", () => {
    expect(readProcStart(process.pid)).toBeGreaterThan(0);
    expect(readProcStart(2 ** 30)).toBeUndefined();
  });
});

describe("unfinishedStarts", () => {
  it("keeps started attempts with no finished or requeued event for the same attempt", () => {
    const events = [
      event("started", "a", 1, { pid: 10, procStart: 100 }),
      event("finished", "a", 1),
      event("started", "b", 1, { pid: 11, procStart: 101 }),
      event("requeued", "b", 1),
      event("started", "b", 2, { pid: 12, procStart: 102 }),
      event("started", "c", 1, { pid: 13, procStart: 103 }),
      event("finished", "c", 2),
    ];
    expect(unfinishedStarts(events)).toEqual([
      { task: "b", attempt: 2, pid: 12, procStart: 102 },
      { task: "c", attempt: 1, pid: 13, procStart: 103 },
    ]);
  });
});

describe("killing process groups", () => {
  let home: ReturnType<typeof makeHome>;
  beforeEach(() => {
    home = makeHome();
  });
  afterEach(() => home.cleanup());

  /** A detached leader with a child and a grandchild, all writing their pids. */
  let families = 0;
  async function family(extra = "") {
    families++;
    const pidFile = join(home.root, `pids.${families}`);
    const leader = execa(
      "bash",
      ["-c", `${extra}\nsleep 1000 & echo $! >> ${pidFile}; (sleep 1000 & echo $! >> ${pidFile}; wait) & wait`],
      {
        detached: true,
        stdin: "ignore",
        reject: false,
      },
    );
    const pids = await waitFor(() => (readPids(pidFile).length === 2 ? readPids(pidFile) : undefined), {
      what: "pids",
    });
    return { leader, pid: leader.pid as number, pids };
  }

  it("killGroup terminates the leader and its grandchildren", async () => {
    const { leader, pid, pids } = await family();
    expect(await killGroup(pid, 2000)).toBe("terminated");
    expect((await leader).signal).toBe("SIGTERM");
    for (const child of pids) expect(processRunning(child)).toBe(false);
  });

  it("killGroup escalates to SIGKILL when SIGTERM is ignored", async () => {
    const { leader, pid, pids } = await family("trap '' TERM");
    expect(await killGroup(pid, 200)).toBe("killed");
    expect((await leader).signal).toBe("SIGKILL");
    for (const child of pids) expect(processRunning(child)).toBe(false);
  });

  it("killGroup of a group that is gone is a no-op", async () => {
    const { leader, pid } = await family();
    await killGroup(pid, 1000);
    await leader;
    expect(await killGroup(pid, 1000)).toBe("gone");
  });

  it("killOrphans kills a started attempt's group only when its pid is still the same process", async () => {
    const orphan = await family();
    const stranger = await family();
    const events = [
      event("started", "a", 1, { pid: orphan.pid, procStart: readProcStart(orphan.pid) }),
      // The pid was reused: the process now under it started at another time.
      event("started", "b", 1, { pid: stranger.pid, procStart: (readProcStart(stranger.pid) ?? 0) - 1 }),
    ];
    const killed = await killOrphans(events);
    expect(killed.map((k) => k.task)).toEqual(["a"]);
    for (const pid of orphan.pids) expect(processRunning(pid)).toBe(false);
    for (const pid of stranger.pids) expect(processRunning(pid)).toBe(true);
    await killGroup(stranger.pid, 1000);
    await Promise.all([orphan.leader, stranger.leader]);
  });
});
