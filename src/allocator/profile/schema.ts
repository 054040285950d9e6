import { deferred } from "../../deferred.ts";
import { z } from "../../zod.ts";

/**
 * A site profile: what Slurm cannot tell rv about a cluster (DESIGN.md section 6). A TOML file of this shape
 * (docs/allocator.md), or the built-in `rivanna`. Every field but the GPU table is optional: discovery alone
 * works, and the profile only adds VRAM, SU rates, limits and which pools are MIG or interactive.
 *
 * Durations are seconds in the parsed record; the TOML file writes them as Slurm does (`2:59:00`, `3-00:00:00`).
 */
export const ProfileGpuSchema = deferred(() =>
  z.strictObject({
    /** The name a person types (`--type a100_80`): unique in the profile. */
    key: z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/)),
    partition: z.string().check(z.minLength(1)),
    /** The GRES type Slurm knows (`gpu:<gres>:N`); several keys may share one (a100 in two partitions). */
    gres: z.string().check(z.minLength(1)),
    vramGb: z.number().check(z.positive()),
    /** Service units charged per GPU-hour; 0 for free pools (MIG). */
    suPerGpuHour: z._default(z.number().check(z.nonnegative()), 0),
    /** At most this many GPUs of this key running for one user at once. */
    maxPerUser: z._default(z.nullable(z.int().check(z.positive())), null),
    /** At most this many GPUs of this key in one job. */
    maxPerJob: z._default(z.nullable(z.int().check(z.positive())), null),
    maxWalltimeSeconds: z._default(z.nullable(z.int().check(z.positive())), null),
    /** GPUs of this key on one node. */
    perNode: z._default(z.nullable(z.int().check(z.positive())), null),
    /** `mig`: a slice of a GPU, for 1-GPU work that fits its VRAM. `interactive`: small and short requests only. */
    kind: z._default(z.enum(["gpu", "mig", "interactive"]), "gpu"),
  }),
);
export type ProfileGpu = z.infer<typeof ProfileGpuSchema>;

export const SiteProfileSchema = deferred(() =>
  z.strictObject({
    name: z.string().check(z.minLength(1)),
    /** The walltime under the site's backfill cliff: the default segment. */
    segmentSeconds: z._default(z.nullable(z.int().check(z.positive())), null),
    /** GPUs one user may run at once across the GPU partitions (not MIG or interactive). */
    maxGpusPerUser: z._default(z.nullable(z.int().check(z.positive())), null),
    gpus: z._default(z.array(ProfileGpuSchema), []),
    /**
     * The site's balance command and how to read it (`allocations` on the seed cluster): argv run on the login
     * node, and the columns of its table that hold the account and the SUs available.
     */
    balance: z._default(
      z.nullable(
        z.strictObject({
          argv: z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
          accountColumn: z.string().check(z.minLength(1)),
          availableColumn: z.string().check(z.minLength(1)),
        }),
      ),
      null,
    ),
  }),
);
export type SiteProfile = z.infer<typeof SiteProfileSchema>;
