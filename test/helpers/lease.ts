import { afterEach, beforeAll, beforeEach } from "vitest";
import { makeHome } from "./home.ts";
import { assertBuilt, rv } from "./rv.ts";

/** Stops every runner of every lease under `root` and waits until they are gone. */
export async function releaseAll(root: string): Promise<void> {
  await rv(root, ["lease", "release", "--all", "--now", "--wait"]);
}

export function json<T = Record<string, unknown>>(stdout: string): T {
  return JSON.parse(stdout) as T;
}

/**
 * A private RV_HOME for each test of the calling `describe`, with every runner under it stopped and the
 * directory removed afterwards. The built binary must exist.
 */
export function useRvHome(): { readonly root: string } {
  let home: ReturnType<typeof makeHome> | undefined;
  beforeAll(assertBuilt);
  beforeEach(() => {
    home = makeHome();
  });
  afterEach(async () => {
    if (!home) return;
    await releaseAll(home.root);
    home.cleanup();
  });
  return {
    get root() {
      if (!home) throw new Error("useRvHome: root is only available inside a test");
      return home.root;
    },
  };
}
