import { readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { publishTask } from "../../src/fsqueue/index.ts";
import { waitFor } from "../helpers/wait.ts";
import { makeTask } from "./factory.ts";
import { eventsOf, paths, useRunnerHome, waitDone } from "./harness.ts";

const LEASE = "bad";
const home = useRunnerHome();

/** Drops a file into the inbox the way a careless writer would, but whole (through tmp/ and a rename). */
function drop(dir: { tmp: string; inbox: string }, name: string, content: string): void {
  writeFileSync(join(dir.tmp, name), content);
  renameSync(join(dir.tmp, name), join(dir.inbox, name));
}

it("garbage and schema-breaking files land in bad/ with a .why, and the other tasks run on", async () => {
  const p = paths(home.root, LEASE);
  const first = makeTask(LEASE);
  publishTask(p, first);
  drop(p, "0000garbage.json", "this is { not json");
  const { gpus: _gpus, ...noGpus } = makeTask(LEASE);
  drop(p, "0000schema.json", JSON.stringify({ ...noGpus, cpus: "lots" }));
  drop(p, "0000future.json", JSON.stringify({ ...makeTask(LEASE), v: 2 }));
  home.start(LEASE);
  const last = makeTask(LEASE);
  publishTask(p, last);

  expect((await waitDone(p, first.id)).state).toBe("succeeded");
  expect((await waitDone(p, last.id)).state).toBe("succeeded");
  const whys = await waitFor(
    () => {
      const names = readdirSync(p.bad).filter((name) => name.endsWith(".why"));
      return names.length === 3 ? names.sort() : undefined;
    },
    { what: "three .why files" },
  );
  const why = (prefix: string) => readFileSync(join(p.bad, whys.find((name) => name.startsWith(prefix)) ?? ""), "utf8");
  expect(why("0000garbage.json")).toMatch(/^not JSON/);
  expect(why("0000schema.json")).toMatch(/^schema: /);
  expect(why("0000future.json")).toContain("protocol version v=2");
  expect(readdirSync(p.inbox)).toEqual([]);
  expect(eventsOf(p, "quarantined")).toHaveLength(3);
});
