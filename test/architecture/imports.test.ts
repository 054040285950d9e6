import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, test } from "vitest";

// The module map of DESIGN.md section 1, read from the source itself: every relative import of every file in src.
const SRC = resolve(import.meta.dirname, "..", "..", "src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(name) ? [path] : [];
  });
}

/** Relative imports and re-exports, static and dynamic; `import type` counts too (a cycle of types is still one). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs = [
    ...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s+"(\.[^"]+)"|import\(\s*"(\.[^"]+)"\s*\)/g),
  ];
  return specs
    .map((m) => m[1] ?? m[2] ?? "")
    .filter((spec) => /\.tsx?$/.test(spec))
    .map((spec) => resolve(dirname(file), spec));
}

const files = sourceFiles(SRC);
const graph = new Map(files.map((file) => [file, importsOf(file)]));
const moduleOf = (file: string) =>
  relative(SRC, file)
    .split("/")[0]
    ?.replace(/\.tsx?$/, "") ?? "";

/** Top to bottom: a module may import only modules below it (DESIGN.md section 1). */
const LAYERS = [
  "cli",
  "web",
  "ops",
  "sync",
  "lease",
  "runner",
  "notify",
  "allocator",
  "slurm",
  "remote",
  "secrets",
  "fsqueue",
  "config",
  "errors",
  "deferred",
  "jit",
  "zod",
  "plural",
];

describe("the module map", () => {
  test("every module of src is one of the layers", () => {
    expect([...new Set(files.map(moduleOf))].sort()).toEqual([...LAYERS].sort());
  });

  test("arrows point down only: cli -> ops -> lease -> allocator -> slurm -> remote, config and fsqueue at the bottom", () => {
    const upward = files.flatMap((file) =>
      (graph.get(file) ?? [])
        .filter((target) => LAYERS.indexOf(moduleOf(target)) < LAYERS.indexOf(moduleOf(file)))
        .map((target) => `${relative(SRC, file)} -> ${relative(SRC, target)}`),
    );
    expect(upward).toEqual([]);
  });

  test("config and fsqueue import nothing of the project but errors, deferred, jit and zod", () => {
    const leaks = files
      .filter((file) => ["config", "fsqueue"].includes(moduleOf(file)))
      .flatMap((file) => (graph.get(file) ?? []).map((target) => [file, target] as const))
      .filter(([file, target]) => ![moduleOf(file), "errors", "deferred", "jit", "zod"].includes(moduleOf(target)))
      .map(([file, target]) => `${relative(SRC, file)} -> ${relative(SRC, target)}`);
    expect(leaks).toEqual([]);
  });

  test("no file imports another that imports it back, however long the way round", () => {
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const path: string[] = [];
    const visit = (file: string) => {
      if (state.get(file) === "done") return;
      if (state.get(file) === "open") {
        cycles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(SRC, f)).join(" -> "));
        return;
      }
      state.set(file, "open");
      path.push(file);
      for (const target of graph.get(file) ?? []) visit(target);
      path.pop();
      state.set(file, "done");
    };
    for (const file of files) visit(file);
    expect(cycles).toEqual([]);
  });
});
