import { mkdirSync, statSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { prepareControlDir } from "../../src/remote/control-path.ts";
import { makeHome } from "../helpers/home.ts";

describe("prepareControlDir", () => {
  let root: string;
  let cleanup: () => void;
  const savedTmpdir = process.env.TMPDIR;
  beforeEach(() => {
    ({ root, cleanup } = makeHome("rv-cp-"));
    process.env.TMPDIR = join(root, "t");
    mkdirSync(process.env.TMPDIR);
  });
  afterEach(() => {
    if (savedTmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmpdir;
    cleanup();
  });

  it("uses the given directory when socket paths fit, and makes it 0700", async () => {
    const wanted = join(root, "ssh");
    expect(await prepareControlDir(wanted)).toBe(wanted);
    expect(statSync(wanted).mode & 0o777).toBe(0o700);
  });

  it("falls back to a private per-user directory under the temp dir when the path is too long", async () => {
    const deep = join(root, "a-rather-long-home-directory-name", "with", "nested", ".rv", "ssh");
    const chosen = await prepareControlDir(deep);
    expect(chosen).toBe(join(root, "t", `rv-ssh-${process.getuid?.()}`));
    expect(statSync(chosen).mode & 0o777).toBe(0o700);
  });

  it("refuses a fallback that someone replaced with a symlink", async () => {
    const target = join(root, "elsewhere");
    mkdirSync(target);
    symlinkSync(target, join(root, "t", `rv-ssh-${process.getuid?.()}`));
    await expect(prepareControlDir(join(root, "x".repeat(60)))).rejects.toMatchObject({ code: "io" });
  });

  it("avoids paths ssh would misread (spaces, %)", async () => {
    const chosen = await prepareControlDir(join(root, "with space"));
    expect(chosen).toBe(join(root, "t", `rv-ssh-${process.getuid?.()}`));
  });
});
