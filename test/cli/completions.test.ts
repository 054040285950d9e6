import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import {
  CACHED_TASKS,
  clustersWithLease,
  completionCacheFile,
  forgetClusterNames,
  mergeCompletionCache,
  readCompletionCache,
  rememberClusterNames,
} from "../../src/cli/completion/cache.ts";
import { completeNames } from "../../src/cli/completion/names.ts";
import { completionScript, parseShell } from "../../src/cli/completion/script.ts";
import { allCommands, describeProgram, SHELLS, valuesNamed } from "../../src/cli/completion/spec.ts";
import { tablesOf } from "../../src/cli/completion/tables.ts";
import { buildProgram } from "../../src/cli/program.ts";
import { RvError } from "../../src/errors.ts";
import { makeHome } from "../helpers/home.ts";
import { need } from "../helpers/need.ts";

// The scripts are generated from the program itself: every command and flag it has, without a list kept by hand.
const program = buildProgram(async () => {}, "test");
const spec = describeProgram(program);
const scripts = Object.fromEntries(SHELLS.map((shell) => [shell, completionScript(shell, program)]));

describe("the completion scripts name what the program has", () => {
  const topLevel = spec.subcommands.map((c) => c.names[0] as string);

  test.each(SHELLS)("%s: every top-level command", (shell) => {
    expect(topLevel.length).toBeGreaterThan(20);
    // zsh lists `word:description`; bash and fish the word alone.
    for (const name of topLevel) expect(scripts[shell]).toMatch(new RegExp(`'${name}[':]`));
  });

  test.each(SHELLS)("%s: nested commands, their flags and the values flags take", (shell) => {
    const script = scripts[shell] as string;
    for (const key of ["'lease up'", "'sweep show'", "'lease release'", "'lease show:0'", "'logs:0'"]) {
      expect(script).toContain(key);
    }
    for (const flag of ["--lease", "--renewal", "--gpu-ids", "--follow", "-f", "--no-shell"]) {
      expect(script).toMatch(new RegExp(`'${flag}[':]`));
    }
    expect(script).toContain("'chain overlap'");
    expect(script).toMatch(/'wait:--lease'[^\n]*\n?[^\n]*'@leases'/);
  });

  test("hidden commands are left out", () => {
    const names = allCommands(spec).flatMap((c) => c.names);
    expect(names).not.toContain("rpc");
    expect(names).not.toContain("__complete");
    for (const shell of SHELLS) expect(scripts[shell]).not.toContain("'rpc'");
  });

  test("every word a table holds is a plain word: the bash walk splits them unquoted", () => {
    const tables = tablesOf(spec);
    const words = [
      ...tables.subcommands.flatMap((row) => row.value.map((d) => d.word)),
      ...tables.options.flatMap((row) => row.value.map((d) => d.word)),
      ...[...tables.optionValues, ...tables.argValues].flatMap((row) => row.value.split(" ")),
    ];
    for (const word of words) expect(word).toMatch(/^[-@\w.,]+$/);
  });
});

describe("the scripts parse", () => {
  test("bash -n", () => {
    expect(spawnSync("bash", ["-n"], { input: scripts.bash }).status).toBe(0);
  });

  test("zsh -n", async () => {
    await need("zsh");
    expect(spawnSync("zsh", ["-n"], { input: scripts.zsh }).status).toBe(0);
  });

  test("fish --no-execute", async () => {
    await need("fish");
    // fish reads a script to check from a file only.
    const dir = mkdtempSync(join(tmpdir(), "rv-fish-"));
    writeFileSync(join(dir, "rv.fish"), scripts.fish as string);
    const checked = spawnSync("fish", ["--no-execute", join(dir, "rv.fish")], { encoding: "utf8" });
    rmSync(dir, { recursive: true });
    expect(checked.stderr).toBe("");
    expect(checked.status).toBe(0);
  });

  test("bash walks the command line: a flag's value is skipped, a subcommand descends", () => {
    const complete = (words: string) =>
      execFileSync(
        "bash",
        [
          "-c",
          `${scripts.bash}\nCOMP_WORDS=(${words}); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _rv; echo "\${COMPREPLY[*]}"`,
        ],
        { encoding: "utf8" },
      ).trim();
    expect(complete("rv lease re")).toBe("renew release resume");
    expect(complete("rv lease up --renewal ''")).toBe("chain overlap");
    expect(complete("rv lease up --name show --renewal c")).toBe("chain");
    expect(complete("rv lease up --renewal = o")).toBe("overlap");
    expect(complete("rv completions ''")).toBe("bash zsh fish");
    expect(complete("rv logs --st")).toBe("--stderr");
  });
});

describe("parseShell", () => {
  test("an unknown shell is a usage error whose hint lists the shells", () => {
    expect(parseShell("fish")).toBe("fish");
    let error: unknown;
    try {
      parseShell("tcsh");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RvError);
    expect((error as RvError).code).toBe("usage");
    expect((error as RvError).message).toContain('"tcsh"');
    expect((error as RvError).hint).toContain("bash, zsh, fish");
  });
});

describe("valuesNamed: what a placeholder stands for", () => {
  test.each([
    ["lease", { kind: "names", of: ["leases"] }],
    ["task", { kind: "names", of: ["tasks"] }],
    ["tasks", { kind: "names", of: ["tasks"] }],
    ["task|lease", { kind: "names", of: ["tasks", "leases"] }],
    ["cluster", { kind: "names", of: ["clusters"] }],
    ["file.jsonl", { kind: "files" }],
    ["name|file", { kind: "files" }],
    ["argv", { kind: "files" }],
    ["dir", { kind: "dirs" }],
    ["shell", { kind: "choices", choices: ["bash", "zsh", "fish"] }],
    ["duration", { kind: "free" }],
  ])("%s", (placeholder, values) => {
    expect(valuesNamed(placeholder)).toEqual(values);
  });
});

describe("mergeCompletionCache", () => {
  const empty = { leases: [], tasks: [] };
  const task = (id: string, lease = "gpu4") => ({ id, name: null, lease });

  test("rv lease ls replaces the cluster's leases; rv tasks adds the leases of the tasks it saw", () => {
    const listed = mergeCompletionCache({ ...empty, leases: ["gone"] }, { leases: ["a100", "gpu4"] });
    expect(listed.leases).toEqual(["a100", "gpu4"]);
    expect(mergeCompletionCache(listed, { tasks: [task("0001", "h100")] }).leases).toEqual(["a100", "gpu4", "h100"]);
  });

  test("rv lease up and rv status add the leases they saw, keeping the rest", () => {
    expect(mergeCompletionCache({ ...empty, leases: ["old"] }, { more: ["new"] }).leases).toEqual(["new", "old"]);
  });

  test("tasks join the cached ones, only id, name and lease kept, the newest kept when there are too many", () => {
    const seen = [{ ...task("0002"), state: "running", command: { argv: ["x"] } }];
    const merged = mergeCompletionCache({ ...empty, tasks: [task("0001")] }, { tasks: seen });
    expect(merged.tasks).toEqual([task("0001"), task("0002")]);
    const many = Array.from({ length: CACHED_TASKS + 5 }, (_, i) => task(String(i).padStart(5, "0")));
    const capped = mergeCompletionCache(empty, { tasks: many });
    expect(capped.tasks).toHaveLength(CACHED_TASKS);
    expect(capped.tasks.at(-1)?.id).toBe(many.at(-1)?.id);
    expect(capped.tasks[0]?.id).toBe("00005");
  });
});

describe("the clusters' names, cached", () => {
  test("written private (0600), read back by completion; a cache that cannot be written fails nothing", async () => {
    const home = makeHome();
    try {
      await rememberClusterNames(home.root, "dev", {
        leases: ["a100-pool"],
        tasks: [{ id: "0zz1", name: "ft", lease: "a100-pool" }],
      });
      await rememberClusterNames(home.root, "lab", { more: ["a10-pool"] });
      expect(statSync(completionCacheFile(home.root)).mode & 0o777).toBe(0o600);
      expect(readCompletionCache(home.root).clusters.dev?.leases).toEqual(["a100-pool"]);
      expect(completeNames(home.root, "leases", "a1")).toEqual([
        { value: "a100-pool", description: "lease on cluster dev" },
        { value: "a10-pool", description: "lease on cluster lab" },
      ]);
      expect(clustersWithLease(home.root, "a10-pool")).toEqual(["lab"]);
      writeFileSync(
        join(home.root, "config.toml"),
        '[defaults]\ncluster = "lab"\n[clusters.lab]\nhost = "rv-lab"\nuser = "me"\nroot = "/r"\n[clusters.dev]\nhost = "rv-dev"\nuser = "me"\nroot = "/r"\n',
      );
      expect(completeNames(home.root, "clusters", "")).toEqual([
        { value: "dev", description: "me@rv-dev" },
        { value: "lab", description: "me@rv-lab (in use)" },
      ]);
      await forgetClusterNames(home.root, "lab");
      expect(clustersWithLease(home.root, "a10-pool")).toEqual([]);
      expect(completeNames(home.root, "tasks", "f")).toEqual([{ value: "ft", description: "0zz1 (a100-pool)" }]);
      expect(completeNames(home.root, "tasks", "x")).toEqual([]);
      await expect(rememberClusterNames(join(home.root, "missing", "dir"), "dev", { leases: ["a"] })).resolves.toBe(
        undefined,
      );
    } finally {
      home.cleanup();
    }
  });
});
