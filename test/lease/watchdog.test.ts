import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { RvError } from "../../src/errors.ts";
import { leasePaths } from "../../src/fsqueue/index.ts";
import {
  isOverdue,
  journal,
  NUDGE_AFTER_SECONDS,
  readJournal,
  renderWatchdogScript,
  type WatchdogScriptInput,
} from "../../src/lease/index.ts";

const typical: WatchdogScriptInput = {
  lease: "exp1",
  root: "/scratch/ada/.rv",
  rv: "/scratch/ada/.rv/bin/rv-0.1.0",
  partition: "standard",
  account: "lab",
  output: "/scratch/ada/.rv/leases/exp1/segments/3.watch.out",
  wake: { kind: "afternotok", jobs: ["815"] },
};

const directivesOf = (script: string) =>
  script
    .split("\n")
    .filter((line) => line.startsWith("#SBATCH "))
    .map((line) => line.slice("#SBATCH ".length));

const dir = mkdtempSync(join(tmpdir(), "rv-watchdog-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("renderWatchdogScript", () => {
  it("a segment's watchdog waits for it to end badly, and is cancelled by Slurm when it ends well", () => {
    const script = renderWatchdogScript(typical);
    expect(directivesOf(script)).toEqual([
      "--job-name='rv-exp1-watch'",
      "--partition='standard'",
      "--account='lab'",
      "--nodes=1",
      "--ntasks=1",
      "--cpus-per-task=1",
      "--mem=512M",
      "--time=15",
      "--output='/scratch/ada/.rv/leases/exp1/segments/3.watch.out'",
      "--open-mode=append",
      "--dependency=afternotok:815",
      "--kill-on-invalid-dep=yes",
      "--no-requeue",
    ]);
    expect(script).toContain("exec '/scratch/ada/.rv/bin/rv-0.1.0' lease supervise 'exp1' --watch </dev/null");
    expect(script).toContain("export RV_HOME='/scratch/ada/.rv'");
  });

  it("a race's watchdog waits for all its jobs; a wake-up waits for a time; no partition is Slurm's default", () => {
    const race = renderWatchdogScript({ ...typical, partition: null, wake: { kind: "afterany", jobs: ["7", "8"] } });
    expect(directivesOf(race)).toContain("--dependency=afterany:7:8");
    expect(directivesOf(race).some((d) => d.startsWith("--partition"))).toBe(false);
    const wakeUp = directivesOf(renderWatchdogScript({ ...typical, wake: { kind: "begin", inSeconds: 30 } }));
    expect(wakeUp).toContain("--begin=now+30");
    expect(wakeUp.some((d) => d.startsWith("--dependency"))).toBe(false);
  });

  it("runs under bash as written: the supervisor is called with the lease, whatever its name quotes to", async () => {
    const recorded = join(dir, "argv");
    const rv = join(dir, "fake-rv");
    writeFileSync(rv, `#!/bin/bash\nprintf '%s\\n' "$RV_HOME" "$@" > ${recorded}\n`, { mode: 0o755 });
    const script = renderWatchdogScript({ ...typical, rv, lease: "sweep-2.b" });
    await execa("bash", ["-c", script]);
    const { stdout } = await execa("cat", [recorded]);
    expect(stdout.split("\n")).toEqual(["/scratch/ada/.rv", "lease", "supervise", "sweep-2.b", "--watch"]);
  });

  it.each([
    ["partition", { partition: "std;id" }],
    ["account", { account: "lab\n#SBATCH --mem=1T" }],
    ["output", { output: "/logs/%j.out" }],
    ["wake.jobs.0", { wake: { kind: "afternotok", jobs: ["815 --begin=now+9999"] } }],
    ["wake.jobs", { wake: { kind: "afterany", jobs: [] } }],
  ] as const)("refuses a bad %s, naming it", (field, change) => {
    let error: unknown;
    try {
      renderWatchdogScript({ ...typical, ...change } as WatchdogScriptInput);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RvError);
    expect((error as RvError).message).toContain(`lease watchdog script: ${field}:`);
  });
});

describe("the supervision journal", () => {
  it("keeps each act with who did it, newest last, and skips a torn line", () => {
    const p = leasePaths(dir, "exp1");
    rmSync(p.dir, { recursive: true, force: true });
    mkdirSync(p.dir, { recursive: true });
    expect(readJournal(p)).toEqual([]);
    journal(p, "watchdog job 9 on cpu-01", "told segment 1 (job 8) to begin now", new Date("2026-12-03T10:00:00Z"));
    writeFileSync(p.supervisionLog, '{"v":1,"at":"2026-12-03T10:00:01', { flag: "a" });
    writeFileSync(p.supervisionLog, "\n", { flag: "a" });
    journal(p, "segment job 8, ending, on a6000-01", "woke", new Date("2026-12-03T10:00:02Z"));
    expect(readJournal(p).map((e) => [e.by, e.did])).toEqual([
      ["watchdog job 9 on cpu-01", "told segment 1 (job 8) to begin now"],
      ["segment job 8, ending, on a6000-01", "woke"],
    ]);
    expect(readJournal(p, 1)).toHaveLength(1);
  });
});

describe("isOverdue: when a reader nudges the supervisor", () => {
  const now = 1_800_000_000;
  it("never when nothing is due", () => expect(isOverdue(null, now)).toBe(false));
  it("not while the watchdog has time to act on an end", () => {
    expect(isOverdue({ acts: ["tell segment 1 (job 8) to begin now"], sinceEpoch: now - 5 }, now)).toBe(false);
  });
  it("once the act has waited as long as a watchdog would never take", () => {
    const due = { acts: ["submit segment 2"], sinceEpoch: now - NUDGE_AFTER_SECONDS };
    expect(isOverdue(due, now)).toBe(true);
  });
  it("at once when no end time tells since when", () => {
    expect(isOverdue({ acts: ["cancel racer 7"], sinceEpoch: null }, now)).toBe(true);
  });
});
