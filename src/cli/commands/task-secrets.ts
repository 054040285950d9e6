import { existsSync } from "node:fs";
import { secretsStoreFile } from "../../fsqueue/index.ts";
import type { Place } from "../../ops/places.ts";
import type { Context } from "../context.ts";

/**
 * The secrets a task submitted to `place` gets: the global ones, and the cluster's own on a cluster lease. They
 * travel in the op's request body (stdin of `rv rpc` on the login node), never in an argv. A home without a store
 * (most) loads none of its code: opening a store takes its key, from the OS keyring's tools, and that code costs
 * every submit ~5 ms of start-up (docs/benchmarks.md (h)).
 */
export async function secretsForPlace(ctx: Context, place: Place): Promise<Record<string, string>> {
  if (!existsSync(secretsStoreFile(ctx.root))) return {};
  const [{ secretsFor }, { keyOptions }, { loadSecrets }] = await Promise.all([
    import("../../secrets/entries.ts"),
    import("../../secrets/key.ts"),
    import("../../secrets/store.ts"),
  ]);
  return secretsFor(loadSecrets(keyOptions(ctx.root, ctx.env)), place.kind === "cluster" ? place.name : null);
}
