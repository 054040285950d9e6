import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { completionCacheFile } from "../../src/cli/completion/cache.ts";
import { makeHome } from "../helpers/home.ts";
import { releaseAll } from "../helpers/lease.ts";
import { need } from "../helpers/need.ts";
import { assertBuilt, RV_BIN, rv } from "../helpers/rv.ts";
import { tmuxTerminal } from "../helpers/tmux.ts";

// The scripts as a person's shell runs them: `rv completions SHELL` sourced, the built rv first on PATH (the
// scripts run `rv __complete` for names), against a home with a real local lease and task, and a cluster's names
// as `rv tasks` and `rv lease ls` leave them in the cache.
const home = makeHome("rv-complete-");
const env = { ...process.env, RV_HOME: home.root, PATH: `${dirname(RV_BIN)}:${process.env.PATH}`, NO_COLOR: "1" };
let taskId = "";

/** What bash offers for the words (the last one is the word being completed), one per line, sorted. */
function bashOffers(words: string): string[] {
  const line = `source <(rv completions bash); COMP_WORDS=(${words}); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _rv; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const run = spawnSync("bash", ["-c", line], { env, encoding: "utf8" });
  expect(run.stderr).toBe("");
  return run.stdout.split("\n").filter(Boolean).sort();
}

beforeAll(async () => {
  assertBuilt();
  expect((await rv(home.root, ["lease", "up", "--local", "--name", "gpu-box", "--cpus", "1"])).exitCode).toBe(0);
  const submitted = await rv(home.root, ["submit", "--name", "train-a", "--wait", "--", "true"]);
  expect(submitted.exitCode).toBe(0);
  taskId = String(submitted.stdout).trim();
  writeFileSync(
    completionCacheFile(home.root),
    JSON.stringify({
      v: 2,
      clusters: {
        dev: { leases: ["a100-pool"], tasks: [{ id: "0zzzzzzzzcafe", name: "finetune", lease: "a100-pool" }] },
      },
    }),
  );
});

afterAll(async () => {
  await releaseAll(home.root);
  home.cleanup();
});

describe("bash, with the generated script sourced", () => {
  test("rv lo<TAB> offers logs; rv lease re<TAB> the lease verbs that start so", () => {
    expect(bashOffers("rv lo")).toEqual(["logs"]);
    expect(bashOffers("rv lease re")).toEqual(["release", "renew", "resume"]);
  });

  test("--lease <TAB> offers this machine's lease and the cluster's cached one", () => {
    expect(bashOffers("rv wait --lease ''")).toEqual(["a100-pool", "gpu-box"]);
    expect(bashOffers("rv lease show g")).toEqual(["gpu-box"]);
    expect(bashOffers("rv submit --lease = a")).toEqual(["a100-pool"]);
  });

  test("a task reference offers ids and names, here and cached from the cluster", () => {
    expect(bashOffers("rv logs ''")).toEqual(["0zzzzzzzzcafe", "finetune", taskId, "train-a"].sort());
    expect(bashOffers("rv cancel x train")).toEqual(["train-a"]);
    expect(bashOffers("rv show --lease gpu-box tr")).toEqual(["train-a"]);
  });

  test("flags of the command typed, and after -- the task's own words are paths", () => {
    expect(bashOffers("rv logs --st")).toEqual(["--stderr"]);
    expect(bashOffers("rv submit --gpus 1 -- READ")).toEqual(["README.md"]);
    expect(bashOffers("rv submit -- ./dist/r")).toEqual(expect.arrayContaining(["./dist/rv"]));
  });
});

describe("rv __complete", () => {
  test("answers from files in under 200 ms", async () => {
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const start = performance.now();
      const answer = await rv(home.root, ["__complete", "tasks", "--", "tr"]);
      times.push(performance.now() - start);
      expect(String(answer.stdout)).toBe(`train-a\t${taskId} (gpu-box)\n`);
    }
    // The best of three: the machine running the tests may be busy.
    expect(Math.min(...times)).toBeLessThan(200);
  });
});

describe("rv completions", () => {
  test("an unknown shell is a usage error that lists the shells", async () => {
    const result = await rv(home.root, ["completions", "tcsh"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/no completions for the shell "tcsh"/);
    expect(result.stderr).toMatch(/hint: rv completions takes one of: bash, zsh, fish/);
  });

  test("zsh: the script parses", async () => {
    await need("zsh");
    const script = String((await rv(home.root, ["completions", "zsh"])).stdout);
    const run = spawnSync("zsh", ["-n"], { input: script, encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
  });

  // zsh completes only at a prompt: a real one, in a terminal (tmux), with compinit and the script sourced.
  test("zsh: Tab at a prompt completes a command and a lease", async () => {
    await need("zsh");
    await need("tmux");
    const zdotdir = join(home.root, "zdotdir");
    mkdirSync(zdotdir);
    writeFileSync(
      join(zdotdir, ".zshrc"),
      "autoload -U compinit && compinit -u\nsource <(rv completions zsh)\nPS1='$ '\n",
    );
    const term = tmuxTerminal("rv-complete-zsh");
    try {
      term.start(`env ZDOTDIR=${zdotdir} RV_HOME=${home.root} PATH=${env.PATH} zsh -i`);
      await term.until("the prompt", (s) => /^\$/m.test(s));
      term.type("rv lo");
      term.keys("Tab");
      await term.until("logs completed", (s) => s.includes("$ rv logs"));
      term.keys("C-u");
      term.type("rv logs --lease gp");
      term.keys("Tab");
      await term.until("the lease completed", (s) => s.includes("$ rv logs --lease gpu-box"));
    } finally {
      term.kill();
    }
  });

  test("fish: complete -C offers commands, leases and tasks", async () => {
    await need("fish");
    const offers = (line: string) =>
      spawnSync("fish", ["-c", `rv completions fish | source; complete -C '${line}'`], { env, encoding: "utf8" })
        .stdout;
    expect(offers("rv lo")).toMatch(/^logs\t/m);
    expect(offers("rv wait --lease ")).toMatch(/^gpu-box\tlocal lease, active$/m);
    expect(offers("rv logs tr")).toMatch(new RegExp(`^train-a\\t${taskId} \\(gpu-box\\)$`, "m"));
  });
});
