import { copyFileSync, renameSync } from "node:fs";

/**
 * Replaces a binary `bun build --compile` has just written with a copy of itself, written whole, as `cp`, an
 * installer or a download writes a file. The bytes are the same; the page cache is not: Bun writes the embedded
 * modules (the bytecode every start reads) piece by piece, and a start of such a file takes ~50 more page faults on
 * that code than a copy's (`rv submit` ~2 ms slower on the benchmark machine, bench/changes.md step 11). The build
 * does it to dist/rv and the start-up benchmark to every binary it compiles, so what is measured is what runs
 * once rv is installed.
 */
export function copyWhole(file) {
  const copy = `${file}.copy`;
  copyFileSync(file, copy);
  renameSync(copy, file);
}
