import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { json, releaseAll, useRvHome } from "../helpers/lease.ts";
import { RV_BIN, rv } from "../helpers/rv.ts";
import { waitFor } from "../helpers/wait.ts";

const TASKS = 2000;
const SUBMITTERS = 4;
const RUNNERS = 4;

describe("many runners, many submitters, one lease (built binary)", () => {
  const home = useRvHome();

  it(`${RUNNERS} runners and ${SUBMITTERS} concurrent submitters push ${TASKS} tasks through: each runs exactly once`, async () => {
    expect((await rv(home.root, ["lease", "up", "--local", "--name", "sweep", "--cpus", "2"])).exitCode).toBe(0);
    const extraRunners = Array.from({ length: RUNNERS - 1 }, () =>
      execa(RV_BIN, ["runner", "--lease", "sweep", "--cpus", "2"], {
        env: { RV_HOME: home.root },
        reject: false,
        stdin: "ignore",
      }),
    );
    await waitFor(async () => {
      const show = json<{ runners: { health: string }[] }>(
        String((await rv(home.root, ["lease", "show", "sweep", "--json"])).stdout),
      );
      return show.runners.filter((r) => r.health === "ok").length === RUNNERS;
    });

    // noclobber: a second run of the same task would fail to create its marker, and show as failed.
    const markers = join(home.root, "markers");
    mkdirSync(markers);
    const perSubmitter = TASKS / SUBMITTERS;
    const submitters = Array.from({ length: SUBMITTERS }, (_, s) => {
      const file = join(home.root, `batch-${s}.jsonl`);
      const lines = Array.from({ length: perSubmitter }, (_, i) =>
        JSON.stringify({ shell: `set -C; : > ${markers}/$RV_TASK_ID`, name: `s${s}-${i}` }),
      );
      writeFileSync(file, `${lines.join("\n")}\n`);
      return rv(home.root, ["submit", "--lease", "sweep", "--from", file, "--json"]);
    });
    const submitted = (await Promise.all(submitters)).flatMap((r) => {
      expect(r.exitCode).toBe(0);
      return json<{ tasks: { id: string }[] }>(String(r.stdout)).tasks.map((t) => t.id);
    });
    expect(new Set(submitted).size).toBe(TASKS);

    const wait = await rv(home.root, ["wait", "--all", "--lease", "sweep", "--timeout", "240s"]);
    expect(wait.exitCode).toBe(0);
    const tasks = json<{ tasks: { id: string; state: string; attempt: number; runner: string }[] }>(
      String((await rv(home.root, ["tasks", "--json", "--all"])).stdout),
    );
    expect(tasks.tasks).toHaveLength(TASKS);
    expect(tasks.tasks.every((t) => t.state === "succeeded" && t.attempt === 1)).toBe(true);
    expect(new Set(tasks.tasks.map((t) => t.runner)).size).toBe(RUNNERS);
    expect(readdirSync(markers).sort()).toEqual([...submitted].sort());

    await releaseAll(home.root);
    await Promise.all(extraRunners);
  });
});
