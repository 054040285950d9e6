import { randomBytes } from "node:crypto";
import { linkSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sshRemote, upload } from "../../src/remote/index.ts";
import { makeHome } from "../helpers/home.ts";
import { closeMaster, devClusterConfig } from "./ssh-helpers.ts";
import { corruptingRemote } from "./upload-helpers.ts";

// The dev cluster's sshd runs on this machine, so the far side's files can be checked directly.
describe("upload over ssh", () => {
  let dir: string;
  let cleanup: () => void;
  let remoteDir: string;
  const controlDir = () => join(dir, "cm");
  const remote = () => sshRemote({ host: "rv-devcluster", configFile: devClusterConfig, controlDir: controlDir() });

  beforeAll(() => {
    ({ root: dir, cleanup } = makeHome("rv-upload-ssh-"));
    remoteDir = join(dir, "remote", "bin");
    mkdirSync(remoteDir, { recursive: true });
  });
  afterAll(async () => {
    await closeMaster(devClusterConfig, controlDir(), "rv-devcluster");
    cleanup();
  });

  it("copies a few MB of binary data exactly, with the requested mode, leaving no temporary file", async () => {
    const source = join(dir, "rv-build");
    const content = randomBytes(3_000_000);
    writeFileSync(source, content);
    await upload(remote(), source, join(remoteDir, "rv-1.0"), { mode: 0o755 });
    expect(readFileSync(join(remoteDir, "rv-1.0")).equals(content)).toBe(true);
    expect(statSync(join(remoteDir, "rv-1.0")).mode & 0o777).toBe(0o755);
    expect(readdirSync(remoteDir)).toEqual(["rv-1.0"]);
  });

  it("replaces an existing target atomically: a new file renamed over it, the old inode untouched", async () => {
    const target = join(remoteDir, "rv-current");
    writeFileSync(target, "old build");
    linkSync(target, join(dir, "old-build-link"));
    writeFileSync(join(dir, "new-build"), "new build");
    await upload(remote(), join(dir, "new-build"), target);
    expect(readFileSync(target, "utf8")).toBe("new build");
    expect(readFileSync(join(dir, "old-build-link"), "utf8")).toBe("old build");
    expect(readdirSync(remoteDir).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });

  it("a corrupted transfer is caught by checksum: target kept, temporary file removed", async () => {
    const target = join(remoteDir, "rv-kept");
    writeFileSync(target, "good build");
    writeFileSync(join(dir, "meant"), "meant to send");
    writeFileSync(join(dir, "garbage"), "garbage");
    const corrupting = corruptingRemote(remote(), join(dir, "garbage"));
    await expect(upload(corrupting, join(dir, "meant"), target)).rejects.toMatchObject({ code: "io" });
    expect(readFileSync(target, "utf8")).toBe("good build");
    expect(readdirSync(remoteDir).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });
});
