/** `rv tasks --json -n 0` over a history longer than one written chunk, through a real pipe (built binary). */
import { statSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { runTasks } from "../../src/cli/commands/tasks.ts";
import { contextOf } from "../../src/cli/context.ts";
import { bufferIo } from "../../src/cli/io.ts";
import { newTaskId, PROTOCOL_VERSION, recordFile, writeRecordAtomic } from "../../src/fsqueue/index.ts";
import { writeLease } from "../../src/lease/index.ts";
import { LEASE, makeDone, makeTask, openLease } from "../fsqueue/factory.ts";
import { json, useRvHome } from "../helpers/lease.ts";
import { RV_BIN, rv } from "../helpers/rv.ts";

interface TaskJson {
  id: string;
  state: string;
}

const BASE_MS = Date.parse("2025-01-01T00:00:00Z");

describe("a long task listing through a pipe (built binary)", () => {
  const home = useRvHome();

  /** A lease of `count` finished tasks, a second apart, its done/ settled: the index built next is trusted. */
  function history(count: number): string[] {
    writeLease(home.root, {
      v: PROTOCOL_VERSION,
      id: LEASE,
      kind: "local",
      createdAt: new Date(BASE_MS).toISOString(),
      host: "here",
      state: "active",
    });
    const p = openLease(home.root);
    const ids = Array.from({ length: count }, (_, i) => {
      const task = makeTask({ id: newTaskId(BASE_MS + i * 1000), name: `train-${i}`, tags: [`batch-${i % 7}`] });
      writeRecordAtomic(p.tmp, recordFile(p.done, task.id), makeDone(task));
      return task.id;
    });
    const hourAgo = new Date(Date.now() - 3600_000);
    utimesSync(p.done, hourAgo, hourAgo);
    return ids.sort();
  }

  const inProcess = async () => {
    const io = bufferIo();
    const env = { RV_HOME: home.root, NO_COLOR: "1" };
    expect(await runTasks(contextOf(home.root, env, io, true), { n: "0" })).toBe(0);
    return io.stdout();
  };

  it("writes a listing of many chunks whole, waiting on the pipe: the same document as in-process", async () => {
    const ids = history(600);
    for (const read of ["built from the records", "read from the index"]) {
      const run = await rv(home.root, ["tasks", "--json", "-n", "0"]);
      expect(run.exitCode, read).toBe(0);
      expect(String(run.stdout).length).toBeGreaterThan(3 * 64 * 1024);
      const listed = json<{ tasks: TaskJson[]; total: number }>(String(run.stdout));
      expect(listed.tasks.map((t) => t.id)).toEqual(ids);
      expect(listed.total).toBe(600);
      expect(listed).toEqual(json(await inProcess()));
    }
  });

  it("lists a waiting task whose id falls between done ids in its place, read from a trusted index", async () => {
    const ids = history(50);
    expect((await rv(home.root, ["tasks", "--json", "-n", "0"])).exitCode).toBe(0); // builds the index
    const index = statSync(openLease(home.root).doneIndex);
    const waiting = makeTask({ id: newTaskId(BASE_MS + 20_500), name: "waiting" });
    writeRecordAtomic(openLease(home.root).tmp, recordFile(openLease(home.root).inbox, waiting.id), waiting);
    const run = await rv(home.root, ["tasks", "--json", "-n", "0"]);
    expect(run.exitCode).toBe(0);
    const listed = json<{ tasks: TaskJson[]; total: number }>(String(run.stdout)).tasks;
    expect(listed.map((t) => t.id)).toEqual([...ids.slice(0, 21), waiting.id, ...ids.slice(21)]);
    expect(listed[21]).toMatchObject({ id: waiting.id, state: "pending" });
    expect(listed.filter((t) => t.state === "succeeded")).toHaveLength(50);
    // The index answered: it was not written anew.
    expect(statSync(openLease(home.root).doneIndex)).toMatchObject({ ino: index.ino, mtimeMs: index.mtimeMs });
  });

  it.each([
    ["the binary", RV_BIN, []],
    ["Node (npx rv)", "node", [join(import.meta.dirname, "..", "..", "bin", "rv.js")]],
  ])("under %s, a reader that stops early ends the output, not in a crash: exit 0", async (_, file, args) => {
    history(600);
    const run = execa(file, [...args, "tasks", "--json", "-n", "0"], {
      env: { RV_HOME: home.root, NO_COLOR: "1" },
      reject: false,
      stdin: "ignore",
      buffer: { stdout: false },
    });
    // Like `| head -c 10`: read the first chunk, then close the pipe while rv still has more to write.
    const first = await new Promise<string>((resolve) => run.stdout?.once("data", (chunk) => resolve(String(chunk))));
    run.stdout?.destroy();
    const result = await run;
    expect(first.startsWith('{"v":1,"tasks":[')).toBe(true);
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(0);
  });
});
