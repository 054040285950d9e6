/**
 * The scontrol shim of a Slurm segment's runner: first the script itself, run by dash and bash with a fake real
 * scontrol later on PATH (what it takes as a requeue of the lease's job, and that everything else reaches the real
 * one unchanged); then on real runner processes, a task that requeues "its job" as PyTorch Lightning and submitit
 * do goes back to the inbox and resumes, and the job is left alone.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { beforeEach, describe, expect, it } from "vitest";
import {
  controlFile,
  type LeasePaths,
  publishTask,
  readControl,
  readPending,
  requestControl,
} from "../../src/fsqueue/index.ts";
import { installScontrolShim } from "../../src/runner/scontrol-shim.ts";
import { waitFor } from "../helpers/wait.ts";
import { shellTask } from "./factory.ts";
import { eventsOf, paths, taskLog, useRunnerHome, waitDone } from "./harness.ts";

const LEASE = "shim";
const JOB = "4242";
const TASK = "0abc123def456";
const home = useRunnerHome();

/** A stand-in for Slurm's scontrol: records each call's arguments as `[a][b]...` and answers `show job`. */
function fakeScontrol(dir: string, calls: string): void {
  mkdirSync(dir, { recursive: true });
  const script = [
    "#!/bin/sh",
    `for a in "$@"; do printf '[%s]' "$a"; done >> '${calls}'`,
    `echo >> '${calls}'`,
    `if [ "$1" = show ]; then echo "JobId=$3 JobState=RUNNING Restarts=0"; fi`,
    'if [ -n "$FAKE_STATUS" ]; then exit "$FAKE_STATUS"; fi',
  ].join("\n");
  writeFileSync(join(dir, "scontrol"), `${script}\n`, { mode: 0o755 });
}

/** One line per call; a call without arguments is an empty line. */
const callsIn = (file: string): string[] =>
  existsSync(file) ? readFileSync(file, "utf8").split("\n").slice(0, -1) : [];

// Its #! is /bin/sh: dash on Debian, bash on others.
describe.each(["/bin/sh", "/bin/bash"])("the scontrol shim, run by %s", (shell) => {
  let p: LeasePaths;
  let shim: string;
  let fake: string;
  let calls: string;
  beforeEach(() => {
    p = paths(home.root, LEASE);
    shim = installScontrolShim(p, "node1-77-abcdef", JOB);
    fake = join(home.root, "slurm-bin");
    calls = join(home.root, "calls");
    fakeScontrol(fake, calls);
  });

  const run = (args: string[], env: Record<string, string> = {}) =>
    execa(shell, [join(shim, "scontrol"), ...args], {
      reject: false,
      extendEnv: false,
      env: { PATH: `${shim}:${fake}:/usr/bin:/bin`, RV_TASK_ID: TASK, RV_ATTEMPT: "3", ...env },
    });

  it.each([
    { args: ["requeue", JOB] },
    { args: ["requeuehold", JOB] },
    { args: ["REQUEUE", `JobId=${JOB}`] },
    { args: ["requ", `jobid=${JOB}`] },
    { args: ["-Q", "requeue", JOB] },
    { args: ["requeue", "Incomplete", JOB] },
    { args: ["requeue", JOB, "--quiet"] },
  ])("scontrol $args asks rv to requeue the task, and Slurm never hears of it", async ({ args }) => {
    const result = await run(args);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain(`task ${TASK} goes back to the lease's queue; attempt 4 resumes with RV_RESUME=1`);
    expect(readControl(p, TASK, "requeue")).toMatchObject({ verb: "requeue", target: TASK, byAttempt: 3 });
    expect(callsIn(calls)).toEqual([]);
    expect(readdirSync(p.tmp), "nothing left staged").toEqual([]);
  });

  it("a job list with other jobs: the task is requeued, and the other jobs go to Slurm", async () => {
    expect((await run(["requeue", `17,JobId=${JOB},18`])).exitCode).toBe(0);
    expect(readControl(p, TASK, "requeue")?.byAttempt).toBe(3);
    unlinkSync(controlFile(p, TASK, "requeue"));
    const hold = await run(["-o", "requeuehold", "State=SpecialExit", `${JOB},19`], { FAKE_STATUS: "1" });
    expect(hold.exitCode, "the real scontrol's status").toBe(1);
    expect(readControl(p, TASK, "requeue")?.byAttempt).toBe(3);
    expect(callsIn(calls)).toEqual(["[requeue][17,18]", "[-o][requeuehold][State=SpecialExit][19]"]);
  });

  it("everything else reaches the real scontrol with the same arguments, and its output and status come back", async () => {
    const show = await run(["show", "job", JOB]);
    expect(show.stdout).toBe(`JobId=${JOB} JobState=RUNNING Restarts=0`);
    const others = [
      ["requeue", "4243"],
      ["-M", "other", "requeue", JOB],
      ["requeueh", JOB],
      ["update", `JobId=${JOB}`, "Comment=it's a 'test' $HOME"],
      [],
    ];
    for (const args of others) expect((await run(args, { FAKE_STATUS: "3" })).exitCode).toBe(3);
    expect(callsIn(calls)).toEqual([
      `[show][job][${JOB}]`,
      "[requeue][4243]",
      `[-M][other][requeue][${JOB}]`,
      `[requeueh][${JOB}]`,
      `[update][JobId=${JOB}][Comment=it's a 'test' $HOME]`,
      "",
    ]);
    expect(existsSync(controlFile(p, TASK, "requeue"))).toBe(false);
  });

  it("the real scontrol is the first on PATH after the shim's directory", async () => {
    const before = join(home.root, "before");
    fakeScontrol(before, join(home.root, "calls-before"));
    const after = await run(["show", "job", JOB], { PATH: `${before}:${shim}:${fake}` });
    expect(after.exitCode).toBe(0);
    expect(callsIn(calls)).toEqual([`[show][job][${JOB}]`]);
    expect((await run(["ping"], { PATH: fake })).exitCode, "the shim not on PATH: the first one").toBe(0);
    expect(callsIn(calls)).toHaveLength(2);
    const none = await run(["ping"], { PATH: `${before}:${shim}` });
    expect([none.exitCode, none.stderr]).toEqual([127, "scontrol: command not found"]);
    expect(callsIn(join(home.root, "calls-before"))).toEqual([]);
  });

  it("outside an rv task, a requeue of the lease's job is refused, not passed to Slurm", async () => {
    const result = await run(["requeue", JOB], { RV_TASK_ID: "", RV_ATTEMPT: "" });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`scontrol requeue of job ${JOB} refused`);
    expect(existsSync(controlFile(p, TASK, "requeue"))).toBe(false);
    expect(callsIn(calls)).toEqual([]);
  });

  it("the shim and its directory are the user's alone", () => {
    expect(shim).toBe(join(p.shims, "node1-77-abcdef"));
    expect(statSync(shim).mode & 0o777).toBe(0o700);
    expect(statSync(join(shim, "scontrol")).mode & 0o777).toBe(0o700);
  });
});

describe("a task of a Slurm segment that requeues its job", () => {
  const onSegment = (calls: string) => {
    const fake = join(home.root, "slurm-bin");
    fakeScontrol(fake, calls);
    const env = { PATH: `${fake}:${process.env.PATH}`, HOME: process.env.HOME, SLURM_JOB_ID: JOB };
    return home.start(LEASE, { segment: "7", env, checkpointGraceMs: 20_000 });
  };

  it("is stopped and requeued as its next attempt with RV_RESUME=1, not a crash; scontrol show job still works", async () => {
    const p = paths(home.root, LEASE);
    const calls = join(home.root, "calls");
    const ck = join(home.root, "ck");
    // As Lightning does: save, requeue, and train on until the job is killed.
    const task = shellTask(
      LEASE,
      [
        `if [ "$RV_RESUME" = 1 ]; then echo "attempt $RV_ATTEMPT resumed from $(cat ${ck})"; scontrol show job "$SLURM_JOB_ID"; exit 0; fi`,
        `echo step-7 > ${ck}`,
        // The runner may stop the attempt as soon as the request is there: the status is printed first.
        `trap '' TERM; scontrol requeue "$SLURM_JOB_ID"; echo "requeue status $?"; trap - TERM`,
        "sleep 1000 & wait",
      ].join("\n"),
    );
    publishTask(p, task);
    const runner = onSegment(calls);

    const done = await waitDone(p, task.id);
    expect(done).toMatchObject({ state: "succeeded", task: { attempt: 2, crashes: 0, resume: true } });
    expect(taskLog(p, task.id, 1, "out")).toBe("requeue status 0\n");
    expect(taskLog(p, task.id, 2, "out")).toBe(
      `attempt 2 resumed from step-7\nJobId=${JOB} JobState=RUNNING Restarts=0\n`,
    );
    expect(eventsOf(p, "requeued", task.id)).toMatchObject([
      { attempt: 1, detail: "the task ran scontrol requeue; next attempt 2 (RV_RESUME=1)" },
    ]);
    expect(callsIn(calls), "Slurm was asked nothing but show job").toEqual([`[show][job][${JOB}]`]);
    expect(existsSync(controlFile(p, task.id, "requeue"))).toBe(false);
    expect(await runner.stop()).toMatchObject({ finished: 1, requeued: 1 });
    expect(readdirSync(p.shims), "the shim goes with its runner").toEqual([]);
  });

  it("one that exits right after its scontrol requeue is requeued too, not recorded as finished", async () => {
    const p = paths(home.root, LEASE);
    const task = shellTask(
      LEASE,
      'if [ "$RV_RESUME" = 1 ]; then echo resumed; exit 0; fi; scontrol requeue "$SLURM_JOB_ID"; exit 0',
    );
    publishTask(p, task);
    onSegment(join(home.root, "calls"));
    expect(await waitDone(p, task.id)).toMatchObject({ state: "succeeded", task: { attempt: 2 } });
    expect(taskLog(p, task.id, 2, "out")).toBe("resumed\n");
    // The runner logs the end just after the done record is in place: waited for, not read once.
    const finished = await waitFor(
      () => {
        const events = eventsOf(p, "finished", task.id);
        return events.length > 0 && events;
      },
      { what: "the finished event" },
    );
    expect(finished).toMatchObject([{ attempt: 2 }]);
  });

  it("at a segment end, its --checkpoint signal (USR2 here) comes, it saves and requeues, and it is stopped without waiting out the grace", async () => {
    const p = paths(home.root, LEASE);
    const ck = join(home.root, "ck");
    const task = shellTask(
      LEASE,
      [
        `trap 'echo saved > ${ck}; scontrol requeue "$SLURM_JOB_ID"' USR2`,
        "echo ready",
        "while :; do sleep 1 & wait; done",
      ].join("\n"),
      { checkpointSignal: "SIGUSR2" },
    );
    publishTask(p, task);
    const runner = onSegment(join(home.root, "calls"));
    await waitFor(() => taskLog(p, task.id, 1, "out").includes("ready"), { what: "the task to set its trap" });

    const endedAt = Date.now();
    requestControl(p, "segment-7", "end", "test", new Date());
    expect(await runner.exit).toMatchObject({ reason: "segment-end", requeued: 1 });
    expect(Date.now() - endedAt, "well within the 20 s checkpoint grace").toBeLessThan(10_000);
    expect(readFileSync(ck, "utf8")).toBe("saved\n");
    expect(readPending(p).map(({ task: t }) => t)).toMatchObject([
      { id: task.id, attempt: 2, crashes: 0, resume: true, requeueReason: "segment end" },
    ]);
  });

  it("a local lease's tasks find the real scontrol", async () => {
    const p = paths(home.root, LEASE);
    const fake = join(home.root, "slurm-bin");
    fakeScontrol(fake, join(home.root, "calls"));
    const task = shellTask(LEASE, "command -v scontrol");
    publishTask(p, task);
    home.start(LEASE, { env: { PATH: `${fake}:${process.env.PATH}`, SLURM_JOB_ID: JOB } });
    await waitDone(p, task.id);
    expect(taskLog(p, task.id, 1, "out")).toBe(`${join(fake, "scontrol")}\n`);
    expect(existsSync(p.shims)).toBe(false);
  });
});
