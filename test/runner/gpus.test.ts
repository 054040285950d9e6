import { readFileSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { publishTask, readHeartbeats, readPending, recordFile } from "../../src/fsqueue/index.ts";
import { waitFor } from "../helpers/wait.ts";
import { shellTask } from "./factory.ts";
import { paths, useRunnerHome, waitDone } from "./harness.ts";

const LEASE = "gpus";
const home = useRunnerHome();

interface Seen {
  task: string;
  asked: number;
  gpus: string[];
  start: number;
  end: number;
}

it("4 GPUs shared by 1- and 2-GPU tasks: overlapping tasks never share a GPU, each sees what it asked", async () => {
  const p = paths(home.root, LEASE);
  const record = join(home.root, "seen");
  home.start(LEASE, { gpuIds: ["0", "1", "2", "3"], cpus: 8 });
  // Each task notes, in its own file, the GPUs it saw and its start and end (after rv started it, before it ended).
  const script = `s=$(date +%s%N); sleep 0.$((RANDOM % 3 + 2)); echo "$CUDA_VISIBLE_DEVICES $s $(date +%s%N)" > ${record}.$RV_TASK_ID`;
  const asks = [1, 2, 1, 1, 2, 1, 2, 1, 1, 2, 1, 1];
  const tasks = asks.map((gpus) => shellTask(LEASE, script, { gpus }));
  for (const task of tasks) publishTask(p, task);
  for (const task of tasks) expect((await waitDone(p, task.id)).state).toBe("succeeded");

  const seen: Seen[] = tasks.map((task) => {
    const [devices = "", start = "0", end = "0"] = readFileSync(`${record}.${task.id}`, "utf8").trim().split(" ");
    return { task: task.id, asked: task.gpus, gpus: devices.split(","), start: Number(start), end: Number(end) };
  });
  for (const s of seen) {
    expect(s.gpus).toHaveLength(s.asked);
    expect(new Set(s.gpus).size).toBe(s.asked);
    for (const id of s.gpus) expect(["0", "1", "2", "3"]).toContain(id);
  }
  let overlaps = 0;
  for (const a of seen) {
    for (const b of seen) {
      if (a.task >= b.task || a.end <= b.start || b.end <= a.start) continue;
      overlaps++;
      expect(
        a.gpus.filter((id) => b.gpus.includes(id)),
        `${a.task} and ${b.task} ran at once`,
      ).toEqual([]);
    }
  }
  expect(overlaps, "tasks ran side by side").toBeGreaterThan(0);
});

it("a task bigger than the runner is left in the inbox for a bigger runner, logged once, and does not block", async () => {
  const p = paths(home.root, LEASE);
  const runner = home.start(LEASE, { gpuIds: ["0"], cpus: 2 });
  const big = shellTask(LEASE, "true", { gpus: 2, strictOrder: true });
  const small = shellTask(LEASE, "true", { gpus: 1 });
  publishTask(p, big);
  publishTask(p, small);
  expect((await waitDone(p, small.id)).state).toBe("succeeded");
  const later = shellTask(LEASE, "true");
  publishTask(p, later);
  expect((await waitDone(p, later.id)).state).toBe("succeeded");
  expect(readPending(p).map((entry) => entry.key)).toEqual([big.id]);
  expect(runner.log.filter((line) => line.includes(big.id))).toEqual([
    `task ${big.id} needs more than this runner has (1 GPUs, 2 CPUs); left for a bigger runner`,
  ]);
  // Its heartbeat names the task, so readers can say it waits for a bigger runner (rv lease show, the TUI)...
  await waitFor(() => readHeartbeats(p).find((hb) => hb.tooLarge?.includes(big.id)), { what: "tooLarge in a beat" });
  // ...until it is no longer pending (claimed by a bigger runner, cancelled).
  unlinkSync(recordFile(p.inbox, big.id));
  await waitFor(() => readHeartbeats(p).find((hb) => hb.state === "running" && hb.tooLarge === undefined), {
    what: "a beat without tooLarge",
  });
});
