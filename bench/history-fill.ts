// Writes a lease with a long history of finished tasks through rv's own record writer (doneRecord,
// writeRecordAtomic: staged in tmp/, fsynced, renamed into done/), as fast as the disk allows. Run with bun:
//   bun bench/history-fill.ts <RV_HOME> <lease> <tasks>
// A realistic mix: mostly succeeded, some failed, cancelled and dep_failed; names, tags, sweeps, usage.
import {
  doneRecord,
  ensureLeaseDirs,
  leasePaths,
  newTaskId,
  PROTOCOL_VERSION,
  recordFile,
  type Task,
  writeRecordAtomic,
} from "../src/fsqueue/index.ts";
import { writeLease } from "../src/lease/index.ts";

const [root, lease, count] = [process.argv[2], process.argv[3] ?? "history", Number(process.argv[4] ?? 100_000)];
if (!root) throw new Error("usage: bun bench/history-fill.ts <RV_HOME> <lease> <tasks>");
const p = leasePaths(root, lease);
ensureLeaseDirs(p);
const startMs = Date.parse("2025-01-01T00:00:00Z");
writeLease(root, {
  v: PROTOCOL_VERSION,
  id: lease,
  kind: "local",
  createdAt: new Date(startMs).toISOString(),
  host: "bench",
  state: "active",
});
for (let i = 0; i < count; i++) {
  const submitted = startMs + i * 1000;
  const task: Task = {
    v: PROTOCOL_VERSION,
    id: newTaskId(submitted),
    lease,
    name: `train-${i % 500}`,
    command: { kind: "argv", argv: ["python", "train.py", `--lr=${(i % 7) / 1000}`, `--seed=${i}`] },
    cwd: "/home/u/project",
    env: { WANDB_MODE: "offline" },
    gpus: 1,
    cpus: 4,
    strictOrder: false,
    attempt: 1 + (i % 50 === 0 ? 1 : 0),
    crashes: 0,
    maxCrashes: 3,
    submittedAt: new Date(submitted).toISOString(),
    submitHost: "laptop",
    tags: i % 3 === 0 ? ["sweep", `batch-${Math.floor(i / 1000)}`] : [`batch-${Math.floor(i / 1000)}`],
  };
  const failed = i % 20 === 7;
  const cancelled = i % 97 === 3;
  const record = doneRecord(task, {
    state: cancelled ? "cancelled" : failed ? "failed" : "succeeded",
    exitCode: cancelled ? null : failed ? 1 : 0,
    signal: cancelled ? "SIGTERM" : null,
    ...(failed && { reason: "exit code 1" }),
    startedAt: new Date(submitted + 500).toISOString(),
    endedAt: new Date(submitted + 60_000).toISOString(),
    runner: `node${i % 8}-${1000 + (i % 8)}-abcdef`,
    host: `node${i % 8}`,
    gpus: [String(i % 8)],
    usage: { cpuSeconds: 55.2, peakRssBytes: 2_000_000_000, gpuPeakBytes: 8_000_000_000, samples: 60 },
  });
  writeRecordAtomic(p.tmp, recordFile(p.done, task.id), record);
}
process.stdout.write(`${count} done records in ${p.done}\n`);
