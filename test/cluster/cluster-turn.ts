import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, inject } from "vitest";
import { ownCluster, processLock, releaseCluster, shareCluster, TURN_MS } from "./cluster-lock.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** How a project's files use the dev cluster (vitest.config.ts). */
    clusterUse: "shared" | "whole";
  }
}

// A setup file of the cluster projects: before a file's own hooks, it waits for its turn on the dev cluster
// (cluster-lock.ts), and gives the turn back after the file's own cleanup (after-hooks run in reverse order).
const lock = processLock(join(tmpdir(), "rv-test-cluster-lock"));

beforeAll(() => (inject("clusterUse") === "whole" ? ownCluster(lock) : shareCluster(lock)), TURN_MS + 60_000);
afterAll(() => releaseCluster(lock));
