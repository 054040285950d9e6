import { describe, expect, it } from "vitest";
import { pullDestination } from "../../src/cli/commands/pull.ts";

describe("where rv pull puts a task's files", () => {
  const view = (cwd: string, name: string | null = "gen") => ({ cwd, name, id: "0mx7abc" });
  it("a --sync task's beside the code that made them, at the same place in the project", () => {
    const code = { commit: null, dirty: false, workspace: "/w/proj" };
    expect(pullDestination({ code, view: view("/w/proj/src") } as never, "/home/me/proj", "/x")).toBe(
      "/home/me/proj/src",
    );
    expect(pullDestination({ code, view: view("/w/proj") } as never, "/home/me/proj", "/x")).toBe("/home/me/proj");
  });

  it("any other task's in a directory named after it, here", () => {
    expect(pullDestination({ code: null, view: view("/home/u") } as never, "/p", "/here")).toBe("/here/gen");
    expect(pullDestination({ code: null, view: view("/home/u", null) } as never, "/p", "/here")).toBe("/here/0mx7abc");
  });
});
