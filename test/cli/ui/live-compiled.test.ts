import { join } from "node:path";
import { execa } from "execa";
import { expect, it } from "vitest";

const REPO = join(import.meta.dirname, "..", "..", "..");

// Ink behaves differently inside a bun-compiled binary, so the script compiles one and drives it in tmux.
it("leaves the terminal clean on every way out of a bun-compiled live view", async () => {
  const check = await execa(join(REPO, "node_modules", ".bin", "bun"), ["scripts/check-ink-compiled.ts"], {
    cwd: REPO,
    reject: false,
    all: true,
  });
  expect(check.all).toMatch(/all \d+ exit paths are clean/);
});
