import { z } from "zod";
import { deferred } from "../../deferred.ts";

/**
 * A site profile: what Slurm cannot tell rv about a cluster (DESIGN.md section 6). A TOML file of this shape
 * (docs/allocator.md), or the built-in `rivanna`. Every field but the GPU table is optional: discovery alone
 * works, and the profile only adds VRAM, SU rates, limits and which pools are MIG or interactive.
 *
 * Durations are seconds in the parsed record; the TOML file writes them as Slurm does (`2:59:00`, `3-00:00:00`).
 */
export const ProfileGpuSchema = deferred(() =>
  z
    .object({
      /** The name a person types (`--type a100_80`): unique in the profile. */
      key: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/),
      partition: z.string().min(1),
      /** The GRES type Slurm knows (`gpu:<gres>:N`); several keys may share one (a100 in two partitions). */
      gres: z.string().min(1),
      vramGb: z.number().positive(),
      /** Service units charged per GPU-hour; 0 for free pools (MIG). */
      suPerGpuHour: z.number().nonnegative().default(0),
      /** At most this many GPUs of this key running for one user at once. */
      maxPerUser: z.int().positive().nullable().default(null),
      /** At most this many GPUs of this key in one job. */
      maxPerJob: z.int().positive().nullable().default(null),
      maxWalltimeSeconds: z.int().positive().nullable().default(null),
      /** GPUs of this key on one node. */
      perNode: z.int().positive().nullable().default(null),
      /** `mig`: a slice of a GPU, for 1-GPU work that fits its VRAM. `interactive`: small and short requests only. */
      kind: z.enum(["gpu", "mig", "interactive"]).default("gpu"),
    })
    .strict(),
);
export type ProfileGpu = z.infer<typeof ProfileGpuSchema>;

export const SiteProfileSchema = deferred(() =>
  z
    .object({
      name: z.string().min(1),
      /** The walltime under the site's backfill cliff: the default segment. */
      segmentSeconds: z.int().positive().nullable().default(null),
      /** GPUs one user may run at once across the GPU partitions (not MIG or interactive). */
      maxGpusPerUser: z.int().positive().nullable().default(null),
      gpus: z.array(ProfileGpuSchema).default([]),
      /**
       * The site's balance command and how to read it (`allocations` on the seed cluster): argv run on the login
       * node, and the columns of its table that hold the account and the SUs available.
       */
      balance: z
        .object({
          argv: z.array(z.string().min(1)).min(1),
          accountColumn: z.string().min(1),
          availableColumn: z.string().min(1),
        })
        .strict()
        .nullable()
        .default(null),
    })
    .strict(),
);
export type SiteProfile = z.infer<typeof SiteProfileSchema>;
