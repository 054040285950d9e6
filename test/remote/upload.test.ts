import { chmodSync, linkSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { localRemote, upload } from "../../src/remote/index.ts";
import { makeHome } from "../helpers/home.ts";
import { corruptingRemote } from "./upload-helpers.ts";

describe("upload to this machine", () => {
  let dir: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ root: dir, cleanup } = makeHome("rv-upload-"));
  });
  afterEach(() => cleanup());

  it("copies the file with its mode and leaves no temporary file", async () => {
    const source = join(dir, "source");
    writeFileSync(source, "#!/bin/sh\necho hi\n");
    chmodSync(source, 0o750);
    await upload(localRemote(), source, join(dir, "target"));
    expect(readFileSync(join(dir, "target"), "utf8")).toBe("#!/bin/sh\necho hi\n");
    expect(statSync(join(dir, "target")).mode & 0o777).toBe(0o750);
    expect(readdirSync(dir).sort()).toEqual(["source", "target"]);
  });

  it("replaces an existing target by rename, never by writing into it", async () => {
    const source = join(dir, "source");
    writeFileSync(source, "new");
    writeFileSync(join(dir, "target"), "old");
    linkSync(join(dir, "target"), join(dir, "old-inode"));
    await upload(localRemote(), source, join(dir, "target"), { mode: 0o600 });
    expect(readFileSync(join(dir, "target"), "utf8")).toBe("new");
    expect(readFileSync(join(dir, "old-inode"), "utf8")).toBe("old");
    expect(statSync(join(dir, "target")).mode & 0o777).toBe(0o600);
  });

  it("throws on a checksum mismatch, leaving the target and no temporary file", async () => {
    writeFileSync(join(dir, "source"), "meant");
    writeFileSync(join(dir, "other"), "sent instead");
    writeFileSync(join(dir, "target"), "old");
    const remote = corruptingRemote(localRemote(), join(dir, "other"));
    await expect(upload(remote, join(dir, "source"), join(dir, "target"))).rejects.toMatchObject({
      code: "io",
      message: expect.stringMatching(/arrived corrupted; nothing was replaced/),
    });
    expect(readFileSync(join(dir, "target"), "utf8")).toBe("old");
    expect(readdirSync(dir).sort()).toEqual(["other", "source", "target"]);
  });

  it("reports a missing local file and a missing remote directory", async () => {
    await expect(upload(localRemote(), join(dir, "absent"), join(dir, "target"))).rejects.toMatchObject({
      code: "not_found",
    });
    writeFileSync(join(dir, "source"), "x");
    await expect(upload(localRemote(), join(dir, "source"), join(dir, "no-dir", "target"))).rejects.toMatchObject({
      code: "cluster",
    });
  });

  it("refuses to move the file into a directory that sits at the target path", async () => {
    writeFileSync(join(dir, "source"), "x");
    await expect(upload(localRemote(), join(dir, "source"), dir)).rejects.toMatchObject({
      code: "cluster",
      message: expect.stringMatching(/is a directory/),
    });
  });
});
