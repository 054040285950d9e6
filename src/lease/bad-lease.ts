import { deferred } from "../deferred.ts";
import { RvError } from "../errors.ts";
import { z } from "../zod.ts";

/**
 * A lease whose lease.json cannot be used (fsqueue's `lookAtLeaseRecord`: a `BadLeaseRecord`): why, where the record
 * is now, and where it belongs.
 */
export const BadLeaseSchema = deferred(() =>
  z.object({
    lease: z.string(),
    reason: z.string(),
    file: z.string(),
    /** The lease's lease.json. */
    record: z.string(),
    state: z.enum(["moved-now", "moved-before", "left", "unmoved"]),
  }),
);
export type BadLease = z.infer<typeof BadLeaseSchema>;

/** Told of each bad lease a listing met; a listing leaves such leases out and goes on. */
export type OnBadLease = (bad: BadLease) => void;

/**
 * What a person is told of a bad lease record: what happened to it, and how to get the lease back. Its queue, its
 * tasks and its runners are left as they are: only the record moved (a runner serves on without one).
 */
export function badLeaseText(bad: BadLease): { message: string; hint: string } {
  if (bad.state === "left") {
    return {
      message: `lease ${bad.lease}: its record ${bad.record} cannot be read (${bad.reason}); it was left where it is`,
      hint: "a newer rv wrote it: use that rv for this lease, or upgrade this one",
    };
  }
  if (bad.state === "unmoved") {
    return {
      message: `lease ${bad.lease}: its record ${bad.record} cannot be read (${bad.reason}); it was left where it is`,
      hint: `repair the record where it is, or, for a local lease, give it a new record: rv lease up --local --name ${bad.lease}`,
    };
  }
  return {
    message:
      `lease ${bad.lease}: its record could not be read (${bad.reason}) and was moved to ${bad.file}; ` +
      "its tasks stay where they are",
    hint:
      `repair the record and put it back (mv ${bad.file} ${bad.record}), or, for a local lease, give it a ` +
      `new record: rv lease up --local --name ${bad.lease}`,
  };
}

/** The error of a command about that one lease: it cannot go on without the record. */
export function badLeaseError(bad: BadLease): RvError {
  const { message, hint } = badLeaseText(bad);
  return new RvError(bad.state === "left" ? "unsupported_version" : "bad_record", message, { hint });
}
