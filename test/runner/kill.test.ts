import { readdirSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ATTEMPT_TAG_VAR, inheritedEnv } from "../../src/config/index.ts";
import { PROTOCOL_VERSION, type RvEvent } from "../../src/fsqueue/index.ts";
import { killAttempt, killOrphans, unfinishedStarts } from "../../src/runner/index.ts";
import { leftoversNote } from "../../src/runner/kill.ts";
import { groupAlive, parseProcStat, readProcStart } from "../../src/runner/proc.ts";
import { attemptTag, environHasTag, inPidWindow, lapFree, taggedPids, windowPids } from "../../src/runner/tag.ts";
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
      { runner: "r", task: "b", attempt: 2, pid: 12, procStart: 102 },
      { runner: "r", task: "c", attempt: 1, pid: 13, procStart: 103 },
    ]);
  });
});

describe("the attempt tag in /proc/PID/environ", () => {
  const environ = (...entries: string[]) => Buffer.from(entries.map((entry) => `${entry}\0`).join(""));

  it("matches the whole entry only, wherever it stands", () => {
    expect(environHasTag(environ("RV_ATTEMPT_TAG=r/t/1", "PATH=/bin"), "r/t/1")).toBe(true);
    expect(environHasTag(environ("PATH=/bin", "RV_ATTEMPT_TAG=r/t/1"), "r/t/1")).toBe(true);
    expect(environHasTag(environ("RV_ATTEMPT_TAG=r/t/10"), "r/t/1")).toBe(false);
    expect(environHasTag(environ("X_RV_ATTEMPT_TAG=r/t/1"), "r/t/1")).toBe(false);
    expect(environHasTag(environ("NOTE=RV_ATTEMPT_TAG=r/t/1"), "r/t/1")).toBe(false);
    expect(environHasTag(Buffer.alloc(0), "r/t/1")).toBe(false);
  });

  it("is looked for, soon after a leader's start, only in the pids handed out since, going round at pid_max", () => {
    const window = { after: 100, upTo: 150, max: 32768 };
    expect([100, 101, 150, 151, 99].map((pid) => inPidWindow(pid, window))).toEqual([false, true, true, false, false]);
    expect(windowPids(window, 50)).toEqual(Array.from({ length: 50 }, (_, i) => 101 + i));
    expect(windowPids(window, 49)).toBeUndefined();
    // Wrapped: from the leader's pid up to pid_max - 1, then from the bottom up to the last pid.
    const wrapped = { after: 32765, upTo: 2, max: 32768 };
    expect([32767, 32765, 1, 2, 3].map((pid) => inPidWindow(pid, wrapped))).toEqual([true, false, true, true, false]);
    expect(windowPids(wrapped, 10)).toEqual([32766, 32767, 1, 2]);
    expect(windowPids({ after: 100, upTo: 100, max: 32768 }, 10)).toEqual([]);
    // A lap needs nearly pid_max starts: ruled out only well within pid_max / 1000 ms.
    expect([lapFree(30, 32768), lapFree(40, 32768), lapFree(4000, 4194304), lapFree(5000, 4194304)]).toEqual([
      true,
      false,
      true,
      false,
    ]);
  });

  it("is not passed on to a runner started from inside a task, so that it never passes for the task's", () => {
    const env = { [ATTEMPT_TAG_VAR]: "r/t/1", RV_HOME: "/h", PATH: "/bin" };
    expect(inheritedEnv(env, { withRvSettings: true })).toEqual({ RV_HOME: "/h", PATH: "/bin" });
  });
});

describe("killing an attempt's processes", () => {
  let home: ReturnType<typeof makeHome>;
  beforeEach(() => {
    home = makeHome();
  });
  afterEach(() => home.cleanup());

  /**
   * A detached leader, as the runner starts a task, with the attempt's tag in its environment: a child and a
   * grandchild in its group, and two strays outside it: one that left with setsid, and a double-forked daemon
   * (setsid, then its parent exits). Each writes its pid.
   */
  let families = 0;
  async function family(tag: string, extra = "") {
    families++;
    const groupFile = join(home.root, `group.${families}`);
    const strayFile = join(home.root, `strays.${families}`);
    const script = `${extra}
sleep 1000 & echo $! >> ${groupFile}
(sleep 1000 & echo $! >> ${groupFile}; wait) &
setsid sh -c 'echo $$ >> ${strayFile}; exec sleep 1000' &
setsid sh -c 'sleep 1000 & echo $! >> ${strayFile}' &
wait`;
    // No pipes: the strays would hold them open after the leader's end.
    const leader = execa("bash", ["-c", script], {
      detached: true,
      stdio: "ignore",
      reject: false,
      env: { [ATTEMPT_TAG_VAR]: tag },
    });
    const both = () => [readPids(groupFile), readPids(strayFile)];
    const [group = [], strays = []] = await waitFor(
      () => (both().every((pids) => pids.length === 2) ? both() : undefined),
      { what: "pids" },
    );
    return { leader, procs: { pgid: leader.pid as number, tag }, group, strays, pids: [...group, ...strays] };
  }

  it("killAttempt terminates the leader, its grandchildren, and what left its group by setsid or as a daemon", async () => {
    const { leader, procs, pids } = await family("r/a/1");
    expect(taggedPids("r/a/1")).toEqual(expect.arrayContaining([procs.pgid, ...pids]));
    expect(await killAttempt(procs, 2000)).toMatchObject({ outcome: "terminated", group: true });
    expect((await leader).signal).toBe("SIGTERM");
    for (const pid of pids) expect(processRunning(pid), `pid ${pid}`).toBe(false);
    expect(taggedPids("r/a/1")).toEqual([]);
  });

  it("killAttempt escalates to SIGKILL when SIGTERM is ignored, outside the group too", async () => {
    const { leader, procs, pids } = await family("r/a/1", "trap '' TERM");
    expect((await killAttempt(procs, 200)).outcome).toBe("killed");
    expect((await leader).signal).toBe("SIGKILL");
    for (const pid of pids) expect(processRunning(pid), `pid ${pid}`).toBe(false);
  });

  it("killAttempt stops what is left outside the group once the leader is gone, and says so", async () => {
    const { leader, procs, strays } = await family("r/a/1");
    process.kill(-procs.pgid, "SIGKILL");
    await leader;
    // Every member, the subshell holding a sleep too: a member still exiting would count as the group alive.
    await waitFor(() => !groupAlive(procs.pgid), { what: "the group to die" });
    const kill = await killAttempt(procs, 2000);
    expect(kill).toMatchObject({ outcome: "terminated", group: false });
    expect(kill.strays.sort()).toEqual(strays.sort());
    for (const pid of strays) expect(processRunning(pid), `pid ${pid}`).toBe(false);
    expect(leftoversNote(kill)).toBe(
      `rv: the task's main process exited; rv stopped what it left running (2 processes outside its process group (pid ${kill.strays.join(", ")})): ended on SIGTERM`,
    );
  });

  it("finds, soon after the leader started, the processes started since and not a tagged process older than it", async () => {
    const older = await family("r/a/1");
    const { leader: child, procs, pids } = await family("r/a/1");
    // Its start is put a moment ago: the window is judged by pids; the time only says whether a lap is ruled out.
    const startedMs = performance.now();
    const leader = { pid: procs.pgid, startedMs };
    const found = taggedPids("r/a/1", leader);
    expect(found).toEqual(expect.arrayContaining(pids));
    expect(found).not.toContain(older.procs.pgid);
    expect(taggedPids("r/a/1")).toEqual(expect.arrayContaining([older.procs.pgid, ...older.pids]));
    expect(taggedPids("r/a/1", { ...leader, startedMs: startedMs - 3_600_000 })).toContain(older.procs.pgid);
    await killAttempt(older.procs, 1000);
    await killAttempt(procs, 1000);
    await Promise.all([older.leader, child]);
  });

  it("counts a tagged process once, not each of its threads, which take pids of the window too", async () => {
    const tag = "r/threads/1";
    const child = execa(process.execPath, ["-e", "setInterval(() => {}, 1000)"], {
      detached: true,
      stdio: "ignore",
      reject: false,
      env: { [ATTEMPT_TAG_VAR]: tag },
    });
    const pid = child.pid as number;
    await waitFor(() => readdirSync(`/proc/${pid}/task`).length > 1 || undefined, { what: "its threads" });
    expect(taggedPids(tag, { pid: pid - 1, startedMs: performance.now() })).toEqual([pid]);
    child.kill("SIGKILL");
    await child;
  });

  it("killAttempt of an attempt that is gone is a no-op", async () => {
    const { leader, procs } = await family("r/a/1");
    await killAttempt(procs, 1000);
    await leader;
    expect(await killAttempt(procs, 1000)).toEqual({ outcome: "gone", group: false, strays: [] });
  });

  it("killOrphans kills an attempt's group only when its pid is still the same process, and its strays", async () => {
    const orphan = await family(attemptTag("r", "a", 1));
    const stranger = await family(attemptTag("another-runner", "x", 1));
    const events = [
      event("started", "a", 1, { pid: orphan.procs.pgid, procStart: readProcStart(orphan.procs.pgid) }),
      // The pid was reused: the process now under it started at another time, and is another attempt's.
      event("started", "b", 1, { pid: stranger.procs.pgid, procStart: (readProcStart(stranger.procs.pgid) ?? 0) - 1 }),
    ];
    const killed = await killOrphans(events);
    expect(killed.map((k) => k.task)).toEqual(["a"]);
    for (const pid of orphan.pids) expect(processRunning(pid)).toBe(false);
    for (const pid of stranger.pids) expect(processRunning(pid)).toBe(true);
    await killAttempt(stranger.procs, 1000);
    await Promise.all([orphan.leader, stranger.leader]);
  });

  it("killOrphans kills a group whose leader is gone only when a member carries the attempt's tag", async () => {
    // Two groups whose leaders exit, leaving their members: one is the attempt's, the other a stranger's that
    // the attempt's old pid now names (its tag is another's).
    const ours = await family(attemptTag("r", "a", 1));
    const stranger = await family(attemptTag("someone", "z", 9));
    for (const { procs } of [ours, stranger]) process.kill(procs.pgid, "SIGKILL");
    await Promise.all([ours.leader, stranger.leader]);
    const events = [
      event("started", "a", 1, { pid: ours.procs.pgid, procStart: 1 }),
      event("started", "b", 1, { pid: stranger.procs.pgid, procStart: 1 }),
    ];
    expect(groupAlive(ours.procs.pgid)).toBe(true);
    expect(groupAlive(stranger.procs.pgid)).toBe(true);
    const killed = await killOrphans(events);
    expect(killed.map((k) => k.task)).toEqual(["a"]);
    expect(groupAlive(ours.procs.pgid)).toBe(false);
    expect(groupAlive(stranger.procs.pgid)).toBe(true);
    await killAttempt(stranger.procs, 1000);
  });
});
