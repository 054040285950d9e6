import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { type SampledAttempt, UsageSampler } from "../../src/runner/sampler.ts";
import {
  foldUsage,
  gpuBytesOf,
  type ProcSample,
  parseComputeApps,
  parseProcSample,
  statFields,
  sumGroups,
} from "../../src/runner/usage.ts";
import { waitFor } from "../helpers/wait.ts";

// Captured from /proc/PID/stat (Linux 6.x): pid (comm) state ppid pgrp session ... utime stime cutime cstime ... rss.
const CAT =
  "31487 (cat) R 31485 31485 27416 0 -1 4194304 99 0 0 0 7 3 0 0 20 0 1 0 1500467 3133440 394 18446744073709551615 94436242448384 0\n";
const ODD_NAME =
  "4242 (a) b (c) S 1 4000 4000 0 -1 4194304 10 0 0 0 150 50 30 20 20 0 4 0 1500467 3133440 25600 18446744073709551615 0\n";
const units = { ticksPerSecond: 100, pageBytes: 4096 };

describe("parsing /proc/PID/stat", () => {
  it("reads the group, the CPU ticks (own and reaped children's) and the resident pages", () => {
    expect(parseProcSample(31487, CAT)).toEqual({ pid: 31487, pgrp: 31485, cpuTicks: 10, rssPages: 394 });
  });

  it("a command name with spaces and parentheses does not shift the fields", () => {
    expect(statFields(ODD_NAME)[0]).toBe("S");
    expect(parseProcSample(4242, ODD_NAME)).toEqual({ pid: 4242, pgrp: 4000, cpuTicks: 250, rssPages: 25600 });
  });

  it("a truncated or garbled line is no sample", () => {
    expect(parseProcSample(1, "1 (init) S 0 1 1")).toBeUndefined();
    expect(parseProcSample(1, "")).toBeUndefined();
  });
});

describe("summing a process group", () => {
  const procs: ProcSample[] = [
    { pid: 100, pgrp: 100, cpuTicks: 50, rssPages: 1000 },
    { pid: 101, pgrp: 100, cpuTicks: 150, rssPages: 24_600 },
    { pid: 200, pgrp: 200, cpuTicks: 7, rssPages: 10 },
    { pid: 300, pgrp: 300, cpuTicks: 999, rssPages: 999 },
  ];

  it("adds CPU and memory over every member of each group asked for, in seconds and bytes", () => {
    const sums = sumGroups(procs, new Set([100, 200]), units);
    expect(sums.get(100)).toEqual({ cpuSeconds: 2, rssBytes: 25_600 * 4096, pids: [100, 101] });
    expect(sums.get(200)).toEqual({ cpuSeconds: 0.07, rssBytes: 40_960, pids: [200] });
    expect(sums.has(300)).toBe(false);
  });

  it("a group with no process left is absent, not zero", () => {
    expect(sumGroups(procs, new Set([999]), units).size).toBe(0);
  });

  it("uses the kernel's units: 64 KiB pages on some ARM nodes", () => {
    const sums = sumGroups(procs, new Set([200]), { ticksPerSecond: 100, pageBytes: 65_536 });
    expect(sums.get(200)?.rssBytes).toBe(655_360);
  });
});

describe("GPU memory from nvidia-smi --query-compute-apps", () => {
  it("maps pids to bytes, summing a process on several GPUs, skipping lines without a number", () => {
    const apps = parseComputeApps("4242, 1024\n4243, 512\n4242, 2048\n4300, [N/A]\n\n");
    expect(apps).toEqual(
      new Map([
        [4242, 3072 * 1024 * 1024],
        [4243, 512 * 1024 * 1024],
      ]),
    );
    expect(gpuBytesOf([4242, 9999], apps)).toBe(3072 * 1024 * 1024);
    expect(gpuBytesOf([9999], apps)).toBe(0);
    expect(parseComputeApps("")).toEqual(new Map());
  });
});

describe("keeping the peaks across samples", () => {
  it("keeps the largest CPU total seen: it drops when the group loses a member's time, e.g. its leader reaped", () => {
    let usage = foldUsage(undefined, { cpuSeconds: 1.5, rssBytes: 100 });
    usage = foldUsage(usage, { cpuSeconds: 0.2, rssBytes: 300 });
    usage = foldUsage(usage, { cpuSeconds: 1.75, rssBytes: 200 });
    expect(usage).toEqual({ cpuSeconds: 1.75, peakRssBytes: 300, samples: 3 });
  });

  it("GPU memory stays absent until nvidia-smi answered, then keeps its peak (0 is a real answer)", () => {
    let usage = foldUsage(undefined, { cpuSeconds: 0, rssBytes: 0 });
    expect(usage).not.toHaveProperty("gpuPeakBytes");
    usage = foldUsage(usage, { cpuSeconds: 0, rssBytes: 0, gpuBytes: 0 });
    expect(usage.gpuPeakBytes).toBe(0);
    usage = foldUsage(usage, { cpuSeconds: 0, rssBytes: 0, gpuBytes: 5 });
    usage = foldUsage(usage, { cpuSeconds: 0, rssBytes: 0 });
    usage = foldUsage(usage, { cpuSeconds: 0, rssBytes: 0, gpuBytes: 2 });
    expect(usage.gpuPeakBytes).toBe(5);
  });
});

describe.runIf(process.platform === "linux")("the sampler on a real process group", () => {
  it("sees a child's CPU time and memory through its group; a group that is gone leaves the figures as they were", async () => {
    // The leader starts a child that holds ~60 MB and spins for 1.5 s of CPU, like `python train.py` under `bash -c`.
    const script = `const { spawn } = require("node:child_process");
      spawn(process.execPath, ["-e", "const b = Buffer.alloc(60e6, 1); const cpu = () => { const u = process.cpuUsage(); return u.user + u.system; }; while (cpu() < 1.5e6) b[0]++; setTimeout(() => {}, 60000)"], { stdio: "inherit" });
      setTimeout(() => {}, 60000);`;
    const leader = spawn(process.execPath, ["-e", script], { detached: true, stdio: "ignore" });
    const attempt: SampledAttempt = { pid: leader.pid, gpus: [] };
    const log: string[] = [];
    const sampler = new UsageSampler((line) => log.push(line));
    try {
      await waitFor(
        async () => {
          await sampler.sample([attempt]);
          const usage = attempt.usage;
          return usage && usage.cpuSeconds >= 1 && usage.peakRssBytes >= 60e6 ? usage : undefined;
        },
        { timeoutMs: 10_000, intervalMs: 200, what: "1 s of CPU and 60 MB seen in the group" },
      );
    } finally {
      process.kill(-(leader.pid ?? 0), "SIGKILL");
    }
    await waitFor(() => leader.exitCode !== null || leader.signalCode !== null, { timeoutMs: 5000, what: "exit" });
    const before = attempt.usage;
    await sampler.final(attempt);
    expect(attempt.usage?.cpuSeconds).toBeGreaterThanOrEqual(before?.cpuSeconds ?? Number.POSITIVE_INFINITY);
    expect(attempt.usage).not.toHaveProperty("gpuPeakBytes");
    expect(log).toEqual([]);
  });
});
